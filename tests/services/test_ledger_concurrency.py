"""Many concurrent calls on one user and token, with flushes racing them: every counter ends exact."""

import asyncio
import threading

import pytest
from sqlalchemy import func
from sqlmodel import select

from backend.cache import TokenInfo, UserInfo
from backend.db import session_scope
from backend.models import Channel, Log, QuotaData, Token, User
from backend.services import billing, ledger, ledger_deltas, usage_log
from backend.services.billing import Charge, Pricing, Usage, compute_quota

GPT4O = Pricing(model_ratio=1.25, completion_ratio=4, group_ratio=1, cache_ratio=0.5)
USER_QUOTA = 4_000_000  # below the trust threshold: every call really reserves
TOKEN_REMAIN = 3_000_000
CALLS = 200


def seed():
    with session_scope() as s:
        user = User(username="bob", password="x", quota=USER_QUOTA)
        s.add(user)
        s.flush()
        token = Token(user_id=user.id, key="c" * 48, name="k", remain_quota=TOKEN_REMAIN)
        channel = Channel(name="c", type=1, key="sk-up")
        s.add(token)
        s.add(channel)
        s.flush()
        return UserInfo.from_row(user), TokenInfo.from_row(token), channel.id


def usage_of(i: int) -> Usage:
    return Usage(100 + i, i % 50, cached_tokens=i % 20)


def expected(indices) -> tuple[int, int]:
    """(total quota, settled calls): every 7th call fails and is refunded."""
    settled = [i for i in indices if i % 7 != 0]
    return sum(compute_quota(GPT4O, usage_of(i))[0] for i in settled), len(settled)


async def one_call(user, token, channel_id, i: int) -> int:
    amount = billing.estimate_pre_consume(GPT4O, 100 + i, i % 30)
    reserved = await billing.pre_consume(user, token, amount)
    assert reserved == amount
    charge = Charge(user=user, token=token, model="gpt-4o", group="default", pricing=GPT4O, reserved=reserved,
                    is_stream=False, channel_id=channel_id)
    await asyncio.sleep(0)  # the upstream call: other tasks run here
    if i % 7 == 0:
        await billing.refund(charge)
        await billing.refund(charge)
        return 0
    return await billing.settle(charge, usage_of(i))


def assert_exact(user, token, channel_id, total: int, count: int) -> None:
    with session_scope() as s:
        u, t, c = s.get(User, user.id), s.get(Token, token.id), s.get(Channel, channel_id)
        assert (u.quota, u.used_quota, u.request_count) == (USER_QUOTA - total, total, count)
        assert (t.remain_quota, t.used_quota) == (TOKEN_REMAIN - total, total)
        assert c.used_quota == total
        assert s.exec(select(func.sum(Log.quota), func.count(Log.id)).where(Log.type == 2)).one() == (total, count)
        assert s.exec(select(func.sum(QuotaData.quota), func.sum(QuotaData.count))).one() == (total, count)
    lg = ledger.get_ledger()
    assert lg.user_quota(user.id) == USER_QUOTA - total
    assert lg.token_remain(token.id) == TOKEN_REMAIN - total


@pytest.fixture(params=["memory", "redis"])
def backend_mode(request, storage):
    if request.param == "redis":
        request.getfixturevalue("redis_url")
    return request.param


async def test_asyncio_gather_200_calls(backend_mode):
    user, token, ch = seed()
    done = asyncio.Event()

    async def flusher():
        while not done.is_set():
            await asyncio.to_thread(ledger.flush_all)
            await asyncio.sleep(0)

    flush_task = asyncio.create_task(flusher())
    results = await asyncio.gather(*(one_call(user, token, ch, i) for i in range(CALLS)))
    done.set()
    await flush_task
    assert ledger.flush_all()
    total, count = expected(range(CALLS))
    assert sum(results) == total
    assert_exact(user, token, ch, total, count)


def test_threads_each_with_a_loop(storage):
    user, token, ch = seed()
    threads_n, per_thread = 4, CALLS // 4
    errors: list[BaseException] = []
    stop = threading.Event()

    def worker(k: int) -> None:
        async def run():
            await asyncio.gather(*(one_call(user, token, ch, k * per_thread + j) for j in range(per_thread)))
        try:
            asyncio.run(run())
        except BaseException as exc:  # noqa: BLE001 - surfaced below
            errors.append(exc)

    def flusher() -> None:
        while not stop.is_set():
            ledger.flush_all()

    f = threading.Thread(target=flusher)
    f.start()
    workers = [threading.Thread(target=worker, args=(k,)) for k in range(threads_n)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    stop.set()
    f.join()
    assert errors == []
    assert ledger.flush_all()
    total, count = expected(range(CALLS))
    assert_exact(user, token, ch, total, count)


async def test_flush_failing_midway_loses_and_doubles_nothing(storage, monkeypatch):
    user, token, ch = seed()
    await asyncio.gather(*(one_call(user, token, ch, i) for i in range(50)))
    real_tokens = ledger_deltas.write_tokens
    failures = []

    def failing_once(conn, batch):
        if not failures:
            failures.append(1)
            raise RuntimeError("injected: DB went away after the users UPDATE")
        real_tokens(conn, batch)

    monkeypatch.setattr(ledger_deltas, "write_tokens", failing_once)
    real_engine = usage_log.get_relay_log_engine
    log_failures = []

    def log_engine_once():
        if not log_failures:
            log_failures.append(1)
            raise RuntimeError("injected: log DB down")
        return real_engine()

    monkeypatch.setattr(usage_log, "get_relay_log_engine", log_engine_once)
    assert not ledger.flush_all()  # users were updated inside the failed transaction: rolled back
    with session_scope() as s:
        assert s.get(User, user.id).quota == USER_QUOTA
    # more traffic lands on top of the kept deltas, then a good flush
    await asyncio.gather(*(one_call(user, token, ch, i) for i in range(50, 100)))
    assert ledger.flush_all()
    assert ledger.flush_all()  # nothing left: a second flush changes nothing
    total, count = expected(range(100))
    assert_exact(user, token, ch, total, count)
    assert failures == [1] and log_failures == [1]


async def test_balance_checks_need_no_db_read_in_steady_state(storage, monkeypatch):
    user, token, ch = seed()
    await one_call(user, token, ch, 1)  # seeds the balances
    reads = []
    real = ledger.Ledger._read_db
    monkeypatch.setattr(ledger.Ledger, "_read_db", lambda self, *a: reads.append(a) or real(self, *a))
    await asyncio.gather(*(one_call(user, token, ch, i) for i in range(2, 40)))
    ledger.flush_all()
    await one_call(user, token, ch, 40)  # after a flush too
    assert reads == []
