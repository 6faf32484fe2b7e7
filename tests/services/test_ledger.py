"""Ledger lifecycle: periodic flush, shutdown flush, forgetting bases, the DB writes themselves."""

from sqlmodel import select

from backend import lifecycle
from backend.cache import TokenInfo, UserInfo
from backend.config import reset_settings
from backend.db import session_scope
from backend.models import Channel, Log, Token, User
from backend.services import billing, ledger
from backend.services.billing import Charge, Pricing, Usage
from tests.support import wait_until_async

GPT4O = Pricing(model_ratio=1.25, completion_ratio=4, group_ratio=1, cache_ratio=0.5)


def seed(quota=100_000, remain=50_000):
    with session_scope() as s:
        user = User(username="dave", password="x", quota=quota)
        s.add(user)
        s.flush()
        token = Token(user_id=user.id, key="l" * 48, name="k", remain_quota=remain)
        channel = Channel(name="c", type=1, key="sk-up")
        s.add(token)
        s.add(channel)
        s.flush()
        return UserInfo.from_row(user), TokenInfo.from_row(token), channel.id


async def a_call(user, token, ch) -> int:
    reserved = await billing.pre_consume(user, token, 625)
    charge = Charge(user=user, token=token, model="gpt-4o", group="default", pricing=GPT4O, reserved=reserved,
                    channel_id=ch)
    return await billing.settle(charge, Usage(1000, 500, cached_tokens=200))


def user_row(uid):
    with session_scope() as s:
        return s.get(User, uid)


async def test_shutdown_flushes_everything(storage):
    user, token, ch = seed()
    await ledger._start()  # the periodic flusher (5 s by default: it will not fire in this test)
    assert await a_call(user, token, ch) == 3625
    assert user_row(user.id).quota == 100_000
    await lifecycle.shutdown()
    u = user_row(user.id)
    assert (u.quota, u.used_quota, u.request_count) == (100_000 - 3625, 3625, 1)
    with session_scope() as s:
        assert [row.quota for row in s.exec(select(Log)).all()] == [3625]
        assert s.get(Token, token.id).remain_quota == 50_000 - 3625
        assert s.get(Channel, ch).used_quota == 3625


async def test_periodic_flush_writes_without_being_asked(storage, monkeypatch):
    monkeypatch.setenv("BATCH_UPDATE_INTERVAL", "0.05")
    reset_settings()
    user, token, ch = seed()
    await ledger._start()
    try:
        await a_call(user, token, ch)
        await wait_until_async(lambda: user_row(user.id).used_quota == 3625, "the periodic flush")
    finally:
        await ledger._stop()
    assert user_row(user.id).quota == 100_000 - 3625


async def test_forget_token_rereads_remain(storage):
    user, token, ch = seed()
    await billing.pre_consume(user, token, 625)
    with session_scope() as s:
        s.get(Token, token.id).remain_quota = 1_000  # an admin edits the token
    ledger.forget_token(token.id)
    assert ledger.get_ledger().token_remain(token.id) == 1_000 - 625


def test_empty_flush_is_a_success(storage):
    assert ledger.get_ledger().flush()
    assert ledger.flush_all()


def test_deltas_are_written_with_increments_not_overwrites(storage):
    """A DB change made between two flushes (e.g. a top-up) survives: the flush adds, never sets."""
    user, token, ch = seed()
    lg = ledger.get_ledger()
    lg.reserve(user.id, token.id, 1000)
    with session_scope() as s:
        s.get(User, user.id).quota += 50_000  # a redemption lands in the DB directly
    assert lg.flush()
    assert user_row(user.id).quota == 100_000 + 50_000 - 1000


def test_reset_drops_the_process_ledger(storage):
    first = ledger.get_ledger()
    lifecycle.reset_process_state()
    assert ledger.get_ledger() is not first


def test_unknown_user_has_no_balance(storage):
    lg = ledger.get_ledger()
    assert lg.user_quota(12345) == 0
    try:
        lg.reserve(12345, None, 10)
    except ledger.InsufficientUserQuota as exc:
        assert exc.remaining == 0 and exc.needed == 10
    else:
        raise AssertionError("a user without a row must not get quota")


def test_memory_base_is_reread_after_its_ttl(storage):
    """Without Redis, a DB change nobody announced is picked up once the base is older than the TTL."""
    user, token, _ = seed()
    lg = ledger.Ledger(base_ttl=0)  # every check is past the TTL
    lg.reserve(user.id, token.id, 1000)
    with session_scope() as s:
        s.get(User, user.id).quota += 5_000  # no forget_user
    assert lg.user_quota(user.id) == 100_000 + 5_000 - 1000
    assert lg.flush()
    assert user_row(user.id).quota == 100_000 + 5_000 - 1000
    assert lg.user_quota(user.id) == 100_000 + 5_000 - 1000


async def test_cache_invalidation_reaches_the_ledger(storage):
    from backend import cache

    user, token, ch = seed()
    await a_call(user, token, ch)  # seeds balances and remembers the token's key
    with session_scope() as s:
        s.get(User, user.id).quota += 10_000
        s.get(Token, token.id).remain_quota += 20_000
    lg = ledger.get_ledger()
    assert lg.user_quota(user.id) == 100_000 - 3625  # not announced yet
    cache.invalidate_user(user.id)
    cache.invalidate_token(token.key)
    assert lg.user_quota(user.id) == 110_000 - 3625
    assert lg.token_remain(token.id) == 70_000 - 3625
    assert ledger.flush_all()
    with session_scope() as s:
        assert s.get(Token, token.id).remain_quota == 70_000 - 3625


def test_hard_deleting_a_user_drops_its_unflushed_charges(storage):
    from backend.models.enums import Role
    from backend.services import user_admin

    user, token, ch = seed()
    live = ledger.get_ledger()
    live.apply(user.id, token.id, quota_delta=500, used=500, requests=1, channel_id=ch)
    heard: list[str] = []
    ledger.bus.subscribe("user_deleted", heard.append)
    user_admin.hard_delete(User(id=10_000, username="root", role=Role.ROOT), user.id)
    ledger.bus._subscribers["user_deleted"].remove(heard.append)
    pending = live.pending()
    assert not (pending.user_quota or pending.user_used or pending.user_requests)
    assert not (pending.token_remain or pending.token_used)
    assert pending.channel_used == {ch: 500}  # the channel did serve the calls
    assert heard == [f"{user.id}:{token.id}"]  # other instances drop theirs too
    assert ledger.flush_all()
