"""Batched flushes run on a thread of their own, so one stuck on the database write lock (another
worker writing) never holds a thread the request path needs."""

from __future__ import annotations

import asyncio
import os
import threading

import pytest

from backend.services import ledger
from tests.support import wait_until_async


async def test_a_stuck_flush_leaves_the_default_pool_free(monkeypatch: pytest.MonkeyPatch) -> None:
    release = threading.Event()
    seen: list[str] = []

    def stuck_flush() -> bool:
        seen.append(threading.current_thread().name)
        release.wait(10)
        return True

    monkeypatch.setattr(ledger, "flush_all", stuck_flush)
    flushes = [asyncio.ensure_future(ledger.aflush_all()) for _ in range(3)]
    await wait_until_async(lambda: seen, "the first flush to reach its thread", 10)
    # Every default-pool thread is still available to the request path.
    workers = min(32, (os.cpu_count() or 1) + 4)
    done = await asyncio.wait_for(asyncio.gather(*(asyncio.to_thread(lambda: 1) for _ in range(workers))), 5)
    assert sum(done) == workers
    assert len(seen) == 1  # the other flushes queue behind the first, on the same thread
    release.set()
    assert await asyncio.gather(*flushes) == [True, True, True]
    assert set(seen) == {seen[0]} and seen[0].startswith("newapi-flush")
