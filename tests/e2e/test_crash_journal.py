"""kill -9 the real gateway right after its last answer: after a restart every answered call is
charged exactly once (user, token, consume logs, quota_data), on every database and with Redis.

The gateway runs as `python -m backend.cli serve` (granian, 2 workers: two journals) with
BATCH_UPDATE_INTERVAL at 10 minutes, so nothing is flushed before the kill: what the database
holds afterwards came from the journal replay at the restart.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import openai
import pytest
import redis
from sqlalchemy import func
from sqlmodel import select

from backend.config import get_settings
from backend.db import session_scope
from backend.models import QuotaData
from backend.models.usage import Usage
from backend.services import journal as wal
from backend.services.ledger_redis import token_key, user_key
from tests.fakes import openai_wire as ow
from tests.fakes.upstream import FakeUpstream
from tests.relay.relay_seed import (
    consume_logs,
    expected_quota,
    make_channel,
    make_key,
    token_row,
    user_row,
)
from tests.support import free_port, wait_until

ROOT = Path(__file__).resolve().parents[2]
CALLS = 150
CONCURRENCY = 10
USER_QUOTA = 4_000_000  # below the trust line: every call reserves first
TOKEN_QUOTA = 3_000_000
MESSAGES = [{"role": "user", "content": "Say hello"}]


class Gateway:
    """`newapi serve` in its own process group (granian's main process and its workers)."""

    def __init__(self, log: Path, env: dict[str, str]) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._log = log.open("ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "backend.cli", "serve", "--host", "127.0.0.1", "--port", str(self.port),
             "--workers", "2"],
            cwd=ROOT, env={**os.environ, **env}, stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True)
        wait_until(self._ready, "the gateway to answer /api/status", timeout=90)

    def _ready(self) -> bool:
        if self.proc.poll() is not None:
            raise AssertionError(f"the gateway exited with {self.proc.returncode}")
        try:
            return httpx.get(self.url + "/api/status", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    def kill(self) -> None:
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(30)
        self._log.close()

    def stop(self) -> None:
        """Graceful: granian stops its workers, each runs its shutdown (final flush)."""
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGINT)
            try:
                self.proc.wait(60)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(10)
        self._log.close()


@pytest.fixture
def fake(storage) -> Iterator[FakeUpstream]:
    with FakeUpstream() as upstream:
        yield upstream


async def _calls(url: str, key: str) -> int:
    client = openai.AsyncOpenAI(api_key=key, base_url=url + "/v1", max_retries=0, timeout=60)
    gate = asyncio.Semaphore(CONCURRENCY)

    async def one(i: int) -> None:
        async with gate:
            if i % 5 == 0:  # a stream: billed before its closing frames
                chunks = [c async for c in await client.chat.completions.create(
                    model="gpt-4o", messages=MESSAGES, stream=True)]
                assert any(c.choices and c.choices[0].finish_reason for c in chunks)
            else:
                reply = await client.chat.completions.create(model="gpt-4o", messages=MESSAGES)
                assert reply.choices[0].message.content

    await asyncio.gather(*(one(i) for i in range(CALLS)))
    await client.close()
    return CALLS


def _all_dead(journal_dir: Path) -> bool:
    """SIGKILL reached the whole group, but a worker may take a moment to die after its parent."""
    for node in wal.nodes(journal_dir):
        fd = wal.try_lock_node(journal_dir, node)
        if fd is None:
            return False
        os.close(fd)
    return True


def _crash_and_restart(fake: FakeUpstream, tmp_path: Path, extra_env: dict[str, str]) -> tuple:
    make_channel(fake.url, "gpt-4o")
    user, token, key = make_key(quota=USER_QUOTA, unlimited_quota=False, remain_quota=TOKEN_QUOTA)
    env = {"BATCH_UPDATE_INTERVAL": "600", "NODE_TYPE": "master", **extra_env}
    journal_dir = get_settings().ledger_journal_dir
    assert journal_dir is not None and str(journal_dir).startswith(str(tmp_path))

    gateway = Gateway(tmp_path / "gateway.log", env)
    try:
        answered = asyncio.run(_calls(gateway.url, key))
    finally:
        gateway.kill()  # right after the last answer
    assert answered == CALLS
    wait_until(lambda: _all_dead(journal_dir), "the killed workers to be gone (their journal locks free)")
    assert user_row(user.id).request_count == 0  # nothing was flushed: the crash lost it all, so far
    assert list(journal_dir.glob("*.wal"))

    restarted = Gateway(tmp_path / "gateway.log", env)  # its workers replay the dead journals at start
    restarted.stop()
    # Replayed, then removed. (A worker stopped while still starting may leave its own new, empty
    # segment: harmless, the next start removes it.)
    left = [p.name for p in journal_dir.glob("*.wal") if wal.read_segment(p)[0]]
    assert left == [], (tmp_path / "gateway.log").read_text()[-3000:]
    return user, token


def _assert_charged_exactly(user, token) -> None:
    q = expected_quota(user, "gpt-4o", Usage(ow.PROMPT_TOKENS, ow.COMPLETION_TOKENS))
    total = q * CALLS
    u, t = user_row(user.id), token_row(token.id)
    assert (u.quota, u.used_quota, u.request_count) == (USER_QUOTA - total, total, CALLS)
    assert (t.remain_quota, t.used_quota) == (TOKEN_QUOTA - total, total)
    logs = consume_logs(user.id)
    assert len(logs) == CALLS and sum(row.quota for row in logs) == total
    with session_scope() as s:
        assert s.exec(select(func.sum(QuotaData.count), func.sum(QuotaData.quota))
                      .where(QuotaData.user_id == user.id)).one() == (CALLS, total)


def test_kill_9_after_150_answers_loses_no_charge(fake: FakeUpstream, tmp_path: Path) -> None:
    user, token = _crash_and_restart(fake, tmp_path, {"REDIS_CONN_STRING": ""})
    _assert_charged_exactly(user, token)


def test_kill_9_with_redis_balances(fake: FakeUpstream, tmp_path: Path, redis_url: str) -> None:
    user, token = _crash_and_restart(fake, tmp_path, {"REDIS_CONN_STRING": redis_url})
    _assert_charged_exactly(user, token)
    client = redis.Redis.from_url(redis_url)
    for key in (user_key(user.id), token_key(token.id)):  # the dead workers' share is out of `pending`
        assert int(client.hget(key, "pending") or 0) == 0
