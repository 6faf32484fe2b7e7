"""Start-up and shutdown of the gateway process: schema, caches, background writers.

Both `newapi serve` (FastAPI lifespan) and the Reflex app (`register_lifespan_task`) run
`lifespan`. Modules holding per-process state register a reset hook so tests start clean.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

log = logging.getLogger("newapi")

_startup_hooks: list[Callable[[], Awaitable[None]]] = []
_shutdown_hooks: list[Callable[[], Awaitable[None]]] = []
_reset_hooks: list[Callable[[], None]] = []


def on_startup(fn: Callable[[], Awaitable[None]]) -> Callable[[], Awaitable[None]]:
    _startup_hooks.append(fn)
    return fn


def on_shutdown(fn: Callable[[], Awaitable[None]]) -> Callable[[], Awaitable[None]]:
    """Shutdown hooks run in reverse order of registration (last started, first stopped)."""
    _shutdown_hooks.append(fn)
    return fn


def on_reset(fn: Callable[[], None]) -> Callable[[], None]:
    _reset_hooks.append(fn)
    return fn


def reset_process_state() -> None:
    """Forget every per-process cache and buffer (tests; a new database under the same process)."""
    for fn in _reset_hooks:
        fn()


async def startup() -> None:
    for fn in _startup_hooks:
        await fn()


async def shutdown() -> None:
    for fn in reversed(_shutdown_hooks):
        try:
            await fn()
        except Exception:  # one failing hook must not keep the others (e.g. the final flush) from running
            log.exception("shutdown hook %s failed", getattr(fn, "__name__", fn))


@asynccontextmanager
async def lifespan(_app: Any = None) -> AsyncIterator[None]:
    await startup()
    try:
        yield
    finally:
        await shutdown()


class PeriodicJob:
    """A coroutine run every `interval()` seconds between start-up and shutdown (when `enabled()`).

    Failures are logged and the schedule goes on: one bad run must not end the job for good.
    """

    MIN_INTERVAL = 1.0  # a misconfigured 0 must not spin the loop

    def __init__(self, name: str, interval: Callable[[], float], job: Callable[[], Awaitable[Any]],
                 enabled: Callable[[], bool] = lambda: True, *, register: bool = True) -> None:
        self.name, self._interval, self._job, self._enabled = name, interval, job, enabled
        self.task: asyncio.Task | None = None
        if register:  # tie it to the process's start-up and shutdown
            on_startup(self.start)
            on_shutdown(self.stop)
            on_reset(self._forget)

    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(max(self._interval(), self.MIN_INTERVAL))
            try:
                await self._job()
            except Exception:
                log.exception("periodic job %s failed", self.name)

    async def start(self) -> None:
        if self.task is None and self._enabled():
            self.task = asyncio.create_task(self._loop(), name=self.name)

    async def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self.task
            self.task = None

    def _forget(self) -> None:
        self.task = None
