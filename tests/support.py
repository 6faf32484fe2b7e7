"""Small helpers the tests (and bench/) share, written once: a free loopback port, and waiting on a
condition instead of sleeping a fixed time.

A wait's timeout is a hang guard, never a timing assertion: the test asserts the condition, and the
bound is generous so a slow, shared machine only makes the test slower, not red.
"""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Callable

POLL_S = 0.02


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now (the OS picks it)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(predicate: Callable[[], object], what: str = "the condition", timeout: float = 30.0,
               interval: float = POLL_S) -> None:
    """Poll `predicate` (something another thread or process does) until it is truthy; fail with
    `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what} after {timeout:g} s")
        time.sleep(interval)


async def wait_until_async(predicate: Callable[[], object], what: str = "the condition", timeout: float = 30.0,
                           interval: float = POLL_S) -> None:
    """`wait_until` for a coroutine test: yields to the event loop between polls, so tasks on the
    same loop (the thing being waited for, often) can run."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what} after {timeout:g} s")
        await asyncio.sleep(interval)
