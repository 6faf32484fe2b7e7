"""Start-up and shutdown of the gateway process: schema, caches, background writers.

Both `newapi serve` (FastAPI lifespan) and the Reflex app (`register_lifespan_task`) run
`lifespan`. Modules holding per-process state register a reset hook so tests start clean.
"""

from __future__ import annotations

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
