"""Two gateway instances (two ledgers) sharing one Redis and one database."""

import threading

import redis
from sqlalchemy import func
from sqlmodel import select

from backend.db import session_scope
from backend.models import Token, User
from backend.services import ledger
from backend.services.ledger import InsufficientUserQuota, Ledger


def seed(quota: int, remain: int, unlimited: bool = False) -> tuple[int, int]:
    with session_scope() as s:
        user = User(username="carol", password="x", quota=quota)
        s.add(user)
        s.flush()
        token = Token(user_id=user.id, key="r" * 48, name="k", remain_quota=remain, unlimited_quota=unlimited)
        s.add(token)
        s.flush()
        return user.id, token.id


def two_ledgers(url: str) -> tuple[Ledger, Ledger]:
    return Ledger(redis=redis.Redis.from_url(url)), Ledger(redis=redis.Redis.from_url(url))


def test_shared_balance_never_overspends(storage, redis_url):
    uid, tid = seed(10_000, 0, unlimited=True)
    a, b = two_ledgers(redis_url)
    taken: list[int] = []
    refused: list[int] = []
    lock = threading.Lock()

    def worker(lg: Ledger) -> None:
        for _ in range(20):
            try:
                got = lg.reserve(uid, tid, 625, token_unlimited=True)
            except InsufficientUserQuota:
                with lock:
                    refused.append(1)
                continue
            lg.apply(uid, tid, quota_delta=0, used=got, requests=1)  # cost == reservation
            with lock:
                taken.append(got)

    threads = [threading.Thread(target=worker, args=(lg,)) for lg in (a, b, a, b)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(taken) == 16 and len(refused) == 64  # 10000 / 625 = 16, across both instances
    assert a.user_quota(uid) == b.user_quota(uid) == 0
    assert a.flush() and b.flush()
    with session_scope() as s:
        u, t = s.get(User, uid), s.get(Token, tid)
        assert (u.quota, u.used_quota, u.request_count) == (0, 10_000, 16)
        assert (t.remain_quota, t.used_quota) == (-10_000, 10_000)


def test_instances_agree_and_db_is_exact_after_both_flush(storage, redis_url):
    uid, tid = seed(1_000_000, 500_000)
    a, b = two_ledgers(redis_url)
    assert a.reserve(uid, tid, 1000) == 1000
    assert b.user_quota(uid) == 999_000  # b sees a's reservation at once
    assert b.reserve(uid, tid, 2000) == 2000
    a.apply(uid, tid, quota_delta=500, used=1500, requests=1)  # a's call cost 1500
    b.apply(uid, tid, quota_delta=-2000)  # b's call failed: refund
    assert a.user_quota(uid) == b.user_quota(uid) == 1_000_000 - 1500
    assert a.token_remain(tid) == b.token_remain(tid) == 500_000 - 1500
    assert b.pending().empty()  # reserve + refund net out
    assert a.pending().user_quota == {uid: -1500}
    assert a.flush() and b.flush()
    with session_scope() as s:
        u, t = s.get(User, uid), s.get(Token, tid)
        assert (u.quota, u.used_quota, u.request_count) == (1_000_000 - 1500, 1500, 1)
        assert (t.remain_quota, t.used_quota) == (500_000 - 1500, 1500)


def test_forgotten_balance_is_reseeded_from_db_plus_own_deltas(storage, redis_url):
    uid, tid = seed(100_000, 100_000)
    a, _ = two_ledgers(redis_url)
    a.reserve(uid, tid, 5000)
    with session_scope() as s:
        s.get(User, uid).quota = 40_000  # an admin sets it absolutely
    a.forget_user(uid)
    assert a.user_quota(uid) == 40_000 - 5000
    a.apply(uid, tid, quota_delta=-5000)
    assert a.flush()
    with session_scope() as s:
        assert s.get(User, uid).quota == 40_000


def test_billing_uses_redis_when_configured(storage, redis_url):
    uid, tid = seed(100_000, 100_000)
    lg = ledger.get_ledger()
    assert lg.reserve(uid, tid, 700) == 700
    raw = redis.Redis.from_url(redis_url).hget(f"newapi:ledger:user:{uid}", "quota")
    assert int(raw) == 99_300
    with session_scope() as s:
        assert s.exec(select(func.count(User.id))).one() == 1


def test_reseed_includes_other_instances_unflushed_deltas(storage, redis_url):
    uid, tid = seed(100_000, 100_000)
    a, b = two_ledgers(redis_url)
    a.reserve(uid, tid, 5000)  # a's delta is only in Redis and in a's memory
    b.reserve(uid, tid, 3000)
    assert b.flush()  # b's 3000 reaches the DB
    with session_scope() as s:
        s.get(User, uid).quota += 40_000  # a top-up written straight to the DB (100000 - 3000 + 40000)
    b.forget_user(uid)
    b.forget_token(tid)
    # reseeded from the DB plus every instance's unflushed deltas (a's 5000), not just b's own
    assert a.user_quota(uid) == b.user_quota(uid) == 140_000 - 8000
    assert b.token_remain(tid) == 100_000 - 8000
    assert a.flush()
    with session_scope() as s:
        assert s.get(User, uid).quota == 140_000 - 8000
    a.forget_user(uid)
    assert a.user_quota(uid) == 140_000 - 8000  # nothing pending any more: DB value exactly


def test_redis_hiccup_after_flush_is_retried(storage, redis_url, monkeypatch):
    uid, tid = seed(100_000, 100_000)
    a, _ = two_ledgers(redis_url)
    a.reserve(uid, tid, 1000)
    shared = a._shared
    real = shared.client.pipeline
    calls = []

    def broken(*args, **kw):
        if not calls:
            calls.append(1)
            raise redis.ConnectionError("injected")
        return real(*args, **kw)

    monkeypatch.setattr(shared.client, "pipeline", broken)
    assert a.flush()  # the DB write succeeded; clearing `pending` in Redis did not
    a.apply(uid, tid, quota_delta=-1000)
    assert a.flush()  # retries the backlog too
    a.forget_user(uid)
    assert a.user_quota(uid) == 100_000
    with session_scope() as s:
        assert s.get(User, uid).quota == 100_000
    assert int(shared.client.hget(f"newapi:ledger:user:{uid}", "pending")) == 0


def test_two_instances_with_racing_flushes_end_exact(storage, redis_url):
    uid, tid = seed(4_000_000, 3_000_000)
    a, b = two_ledgers(redis_url)
    stop = threading.Event()
    spent: list[int] = []
    lock = threading.Lock()

    def calls(lg: Ledger, start: int) -> None:
        for i in range(start, start + 50):
            got = lg.reserve(uid, tid, 600)
            cost = 100 + 37 * (i % 11)  # the real cost differs from the reservation either way
            if i % 5 == 0:
                lg.apply(uid, tid, quota_delta=-got)  # failed call: refund
                continue
            lg.apply(uid, tid, quota_delta=cost - got, used=cost, requests=1)
            with lock:
                spent.append(cost)

    def flusher(lg: Ledger) -> None:
        while not stop.is_set():
            lg.flush()

    flushers = [threading.Thread(target=flusher, args=(lg,)) for lg in (a, b)]
    workers = [threading.Thread(target=calls, args=(lg, k * 50)) for k, lg in enumerate((a, b, a, b))]
    for t in flushers + workers:
        t.start()
    for t in workers:
        t.join()
    stop.set()
    for t in flushers:
        t.join()
    assert a.flush() and b.flush()
    total = sum(spent)
    assert len(spent) == 160
    with session_scope() as s:
        u, t = s.get(User, uid), s.get(Token, tid)
        assert (u.quota, u.used_quota, u.request_count) == (4_000_000 - total, total, 160)
        assert (t.remain_quota, t.used_quota) == (3_000_000 - total, total)
    assert a.user_quota(uid) == b.user_quota(uid) == 4_000_000 - total
    client = redis.Redis.from_url(redis_url)
    assert int(client.hget(f"newapi:ledger:user:{uid}", "pending")) == 0  # every delta is in the DB
    a.forget_user(uid)
    assert b.user_quota(uid) == 4_000_000 - total  # a re-seed lands on the same number


def test_discarding_a_deleted_user_drops_its_shared_balances(storage, redis_url):
    from backend.services.ledger_redis import token_key, user_key

    uid, tid = seed(100_000, 50_000)
    a, b = two_ledgers(redis_url)
    assert a.reserve(uid, tid, 625) == 625 and b.reserve(uid, tid, 625) == 625
    client = redis.Redis.from_url(redis_url)
    assert client.exists(user_key(uid), token_key(tid)) == 2
    a.discard_user(uid, [tid])
    b.discard_user(uid, [tid], shared=False)  # what b's bus subscriber does on the notice
    assert client.exists(user_key(uid), token_key(tid)) == 0
    for led in (a, b):
        pending = led.pending()
        assert uid not in pending.user_quota and tid not in pending.token_remain and tid not in pending.token_used
    client.close()
