"""Start-up and shutdown of the gateway process: schema, caches, background writers.

Both `newapi serve` (FastAPI lifespan) and the Reflex app (`register_lifespan_task`) run
`lifespan`. Modules holding per-process state register a reset hook so tests start clean.

Work started off the request path goes through `spawn` (or `shielded`, for bookkeeping a cancelled
request must still finish): one set keeps a reference to each task (asyncio only keeps weak ones),
failures are logged, and shutdown waits for what is still running before the hooks flush buffers,
so a refund or a write-back started by the last requests is not lost.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

log = logging.getLogger("newapi")

DRAIN_SECONDS = 10.0  # shutdown waits this long for background work before the final flushes

_startup_hooks: list[Callable[[], Awaitable[None]]] = []
_background: set[asyncio.Future[Any]] = set()
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
    _background.clear()
    for fn in _reset_hooks:
        fn()


def spawn(work: Awaitable[Any], what: str = "background task") -> asyncio.Future[Any]:
    """Run `work` off the caller's path: referenced until done, its failure logged as `what`,
    awaited by `shutdown`. Needs a running loop."""
    task = asyncio.ensure_future(work)
    _background.add(task)
    task.add_done_callback(_background.discard)
    task.add_done_callback(lambda t: _log_failure(t, what))
    return task


def _log_failure(task: asyncio.Future[Any], what: str) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("%s failed", what, exc_info=task.exception())


async def shielded(work: Awaitable[Any], what: str = "bookkeeping") -> None:
    """Run `work` to its end even if the caller is cancelled (money bookkeeping: a settle or a
    refund must not stop half-way because the client left). A failure is logged, not raised."""
    task = spawn(work, what)
    try:
        await asyncio.shield(task)
    except asyncio.CancelledError:
        raise  # the caller is cancelled; the task goes on (spawn keeps it referenced)
    except Exception:
        pass  # logged by spawn's callback


async def drain_background(timeout: float = DRAIN_SECONDS) -> None:
    """Wait for the spawned work still running (the first step of shutdown)."""
    pending = [t for t in _background if not t.done()]
    if pending:
        _done, late = await asyncio.wait(pending, timeout=timeout)
        if late:
            log.warning("%d background tasks were still running at shutdown", len(late))


async def startup() -> None:
    for fn in _startup_hooks:
        await fn()


async def shutdown() -> None:
    await drain_background()
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
