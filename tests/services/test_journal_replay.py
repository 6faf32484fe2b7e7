"""A process dies between two flushes: the next start replays its journal, and the database holds
exactly the settled calls (counters, consume logs, quota_data), on every database and with Redis."""

from __future__ import annotations

import asyncio
import os

import pytest
import redis
from sqlalchemy import func, text
from sqlmodel import select

from backend import lifecycle
from backend.config import reset_settings
from backend.db import get_engine, get_log_engine, reset_engines, session_scope
from backend.migrate import migrate
from backend.models import User
from backend.services import billing, journal_replay, ledger, usage_log
from backend.services import journal as wal
from backend.services.billing import Charge
from backend.services.ledger_redis import token_key, user_key
from tests.services.test_ledger_concurrency import (
    GPT4O,
    USER_QUOTA,
    assert_exact,
    expected,
    one_call,
    seed,
)


@pytest.fixture
def journaled(storage):
    """A fresh process: its journal open (as at start-up), nothing else running."""
    assert journal_replay.recover_and_open() == []
    assert wal.current() is not None
    yield storage
    journal_replay.discard()


def crash() -> wal.Journal:
    """kill -9: the files stay as written (the OS has them), every in-memory buffer is gone."""
    journal = wal.current()
    assert journal is not None
    wal.install(None)
    journal.close(delete=False)  # releases the node lock, as the kernel does for a dead process
    lifecycle.reset_process_state()
    return journal


def restart() -> list[journal_replay.Replayed]:
    done = journal_replay.recover_and_open()
    assert wal.current() is not None
    return done


def marks_of(node: str) -> int:
    with get_engine().connect() as conn:
        return conn.execute(text("SELECT COUNT(*) FROM ledger_journal_state WHERE node = :n"), {"n": node}).scalar()


async def test_a_crash_before_any_flush_loses_no_settled_call(journaled) -> None:
    user, token, ch = seed()
    await asyncio.gather(*(one_call(user, token, ch, i) for i in range(60)))
    with session_scope() as s:  # nothing flushed: the database knows nothing yet
        assert s.get(User, user.id).request_count == 0
    dead = crash()
    [done] = restart()
    total, count = expected(range(60))
    assert done.charges == 60 and done.log_rows == count  # refunds are journaled too
    assert_exact(user, token, ch, total, count)
    assert wal.segments(dead.directory, dead.node) == [] and marks_of(dead.node) == 0
    assert restart() == []  # replayed once; the files are gone


async def test_records_already_flushed_are_not_applied_again(journaled, monkeypatch) -> None:
    user, token, ch = seed()
    # The flush commits but the process dies before the flushed segments are deleted.
    monkeypatch.setattr(wal.Journal, "release", lambda self, cut: None)
    await asyncio.gather(*(one_call(user, token, ch, i) for i in range(30)))
    assert ledger.flush_all()
    await asyncio.gather(*(one_call(user, token, ch, i) for i in range(30, 70)))
    dead = crash()
    assert len(wal.segments(dead.directory, dead.node)) >= 2  # the flushed records are still there
    restart()
    total, count = expected(range(70))
    assert_exact(user, token, ch, total, count)


async def test_a_reservation_flushed_before_its_settle_is_counted_once(journaled) -> None:
    user, token, ch = seed()
    reserved = await billing.pre_consume(user, token, 5000)
    assert reserved == 5000 and reserved.seq > 0
    charge = Charge(user=user, token=token, model="gpt-4o", group="default", pricing=GPT4O, reserved=reserved,
                    channel_id=ch)
    assert ledger.flush_all()  # the reservation is in the DB, the settle is not yet
    quota = await billing.settle(charge, billing.Usage(1000, 200))
    # A call in flight at the crash: reserved, never answered. It must cost nothing.
    await billing.pre_consume(user, token, 7000)
    crash()
    restart()
    assert_exact(user, token, ch, quota, 1)


async def test_a_torn_last_record_is_ignored_and_the_rest_replayed(journaled) -> None:
    user, token, ch = seed()
    await asyncio.gather(*(one_call(user, token, ch, i) for i in range(1, 7)))
    dead = crash()
    with wal.segments(dead.directory, dead.node)[-1].open("ab") as f:
        f.write(wal.encode(["A", 10_000, user.id, token.id, ch, 999, 999, 1, 0, 0])[:-4])  # cut mid-write
    [done] = restart()
    assert done.torn
    total, count = expected(range(1, 7))
    assert_exact(user, token, ch, total, count)


async def test_a_replay_interrupted_after_its_commit_repeats_nothing(journaled) -> None:
    user, token, ch = seed()
    await asyncio.gather(*(one_call(user, token, ch, i) for i in range(1, 20)))
    dead = crash()
    fd = wal.try_lock_node(dead.directory, dead.node)
    journal_replay.replay_node(dead.directory, dead.node)  # committed, then "crashed": files kept
    again = journal_replay.replay_node(dead.directory, dead.node)
    assert (again.charges, again.log_rows, again.quota_buckets) == (0, 0, 0)
    os.close(fd)
    restart()
    total, count = expected(range(1, 20))
    assert_exact(user, token, ch, total, count)


async def test_a_live_process_journal_is_left_alone(journaled) -> None:
    user, token, ch = seed()
    other = wal.Journal(wal.current().directory).open()  # another worker, alive
    other.append(["A", other.next_seq(), user.id, token.id, ch, 123, 123, 1, 0, 0])
    assert other.wait(10)
    assert journal_replay.replay_directory(other.directory) == []
    with session_scope() as s:
        assert s.get(User, user.id).quota == USER_QUOTA
    other.close(delete=True)


async def test_logs_without_a_charge_are_replayed_too(journaled) -> None:
    usage_log.record({"user_id": 7, "type": 3, "content": "manage: quota edited"})
    await wal.durable()
    crash()
    [done] = restart()
    assert done.log_rows == 1
    with session_scope() as s:
        assert s.exec(text("SELECT COUNT(*) FROM logs WHERE user_id = 7 AND type = 3")).scalar() == 1


async def test_with_redis_the_dead_share_leaves_pending_and_balances_are_reseeded(
        storage, redis_url) -> None:
    restart()
    user, token, ch = seed()
    await asyncio.gather(*(one_call(user, token, ch, i) for i in range(40)))
    await billing.pre_consume(user, token, 9000)  # in flight at the crash: reserved in Redis, never answered
    client = redis.Redis.from_url(redis_url)
    assert int(client.hget(user_key(user.id), "pending")) != 0
    crash()
    restart()
    total, count = expected(range(40))
    for key in (user_key(user.id), token_key(token.id)):
        assert int(client.hget(key, "pending")) == 0  # nothing unflushed is left anywhere
        assert client.hget(key, "quota" if "user" in key else "remain") is None  # re-seeded on next use
    assert_exact(user, token, ch, total, count)  # also reads the live balances (re-seeded from the DB)
    journal_replay.discard()


def test_the_marks_table_exists_after_migrate(storage) -> None:
    with session_scope() as s:
        assert s.exec(select(func.count()).select_from(text("ledger_journal_state"))).one() == 0


async def test_an_unusable_journal_dir_is_logged_and_calls_still_work(storage, tmp_path, monkeypatch,
                                                                       caplog) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("")
    monkeypatch.setenv("LEDGER_JOURNAL_DIR", str(blocker / "journal"))
    reset_settings()
    assert journal_replay.recover_and_open() == []
    assert wal.current() is None and "cannot use the ledger journal" in caplog.text
    user, token, ch = seed()
    await one_call(user, token, ch, 1)
    assert ledger.flush_all()
    total, count = expected([1])
    assert_exact(user, token, ch, total, count)


async def test_log_rows_replay_into_a_separate_log_database(sqlite_storage, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("LOG_SQL_DSN", f"sqlite:///{tmp_path / 'logs.db'}")
    reset_settings()
    reset_engines()
    migrate()  # the logs table and its own ledger_journal_state in the log database
    restart()
    user, token, ch = seed()
    await asyncio.gather(*(one_call(user, token, ch, i) for i in range(1, 15)))
    crash()
    restart()
    total, count = expected(range(1, 15))
    with get_log_engine().connect() as conn:
        assert conn.execute(text("SELECT COUNT(*), SUM(quota) FROM logs WHERE type = 2")).one() == (count, total)
    with get_engine().connect() as conn:
        assert conn.execute(text("SELECT request_count FROM users WHERE id = :i"), {"i": user.id}).scalar() == count
    journal_replay.discard()
