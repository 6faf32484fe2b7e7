"""Pre-consume, settle and refund against a real database: balances, counters, logs, quota_data."""

import orjson
import pytest
from sqlmodel import select

from backend.cache import TokenInfo, UserInfo
from backend.config import reset_settings
from backend.db import session_scope
from backend.models import Channel, Log, QuotaData, Token, User
from backend.services import billing, ledger, options
from backend.services.billing import Charge, Pricing, Usage

GPT4O = Pricing(model_ratio=1.25, completion_ratio=4, group_ratio=1, cache_ratio=0.5)


def seed(user_quota: int, token_remain: int = 0, unlimited: bool = False, setting: str | None = None):
    with session_scope() as s:
        user = User(username="alice", password="x", quota=user_quota, setting=setting)
        s.add(user)
        s.flush()
        token = Token(user_id=user.id, key="k" * 48, name="my-key", remain_quota=token_remain,
                      unlimited_quota=unlimited)
        channel = Channel(name="c1", type=1, key="sk-up")
        s.add(token)
        s.add(channel)
        s.flush()
        return UserInfo.from_row(user), TokenInfo.from_row(token), channel.id


def db_row(model, row_id):
    with session_scope() as s:
        return s.get(model, row_id)


def logs():
    with session_scope() as s:
        return s.exec(select(Log).order_by(Log.id)).all()


def charge_for(user, token, channel_id, reserved, pricing=GPT4O, model="gpt-4o") -> Charge:
    return Charge(user=user, token=token, model=model, group="default", pricing=pricing, reserved=reserved,
                  is_stream=True, channel_id=channel_id, request_id="req-1", ip="10.0.0.9",
                  other={"upstream_model_name": "gpt-4o-2024-08-06", "is_model_mapped": True, "frt": 120})


async def test_settle_moves_every_counter_and_writes_log_and_quota_data(storage):
    user, token, ch = seed(100_000, 50_000)
    reserved = await billing.pre_consume(user, token, billing.estimate_pre_consume(GPT4O, 100, None))
    assert reserved == 625
    assert ledger.get_ledger().user_quota(user.id) == 100_000 - 625
    assert ledger.get_ledger().token_remain(token.id) == 50_000 - 625
    charge = charge_for(user, token, ch, reserved)
    quota = await billing.settle(charge, Usage(1000, 500, cached_tokens=200))
    assert quota == 3625
    assert ledger.get_ledger().user_quota(user.id) == 100_000 - 3625
    # nothing reached the DB yet: writes are batched
    assert db_row(User, user.id).quota == 100_000 and logs() == []
    assert ledger.flush_all()
    u, t, c = db_row(User, user.id), db_row(Token, token.id), db_row(Channel, ch)
    assert (u.quota, u.used_quota, u.request_count) == (100_000 - 3625, 3625, 1)
    assert (t.remain_quota, t.used_quota) == (50_000 - 3625, 3625)
    assert c.used_quota == 3625
    [row] = logs()
    assert (row.type, row.quota, row.prompt_tokens, row.completion_tokens) == (2, 3625, 1000, 500)
    assert (row.user_id, row.username, row.token_name, row.token_id) == (user.id, "alice", "my-key", token.id)
    assert (row.model_name, row.channel_id, row.group, row.is_stream) == ("gpt-4o", ch, "default", True)
    assert row.content == "模型倍率 1.25，补全倍率 4.00，分组倍率 1.00"
    assert row.ip == ""  # IP logging is opt-in per user
    other = orjson.loads(row.other)
    assert other["model_ratio"] == 1.25 and other["completion_ratio"] == 4 and other["group_ratio"] == 1
    assert other["cache_tokens"] == 200 and other["cache_ratio"] == 0.5 and other["model_price"] == -1
    assert other["upstream_model_name"] == "gpt-4o-2024-08-06" and other["frt"] == 120
    assert other["request_id"] == "req-1"
    with session_scope() as s:
        [qd] = s.exec(select(QuotaData)).all()
    assert (qd.user_id, qd.username, qd.model_name, qd.count, qd.quota, qd.token_used) == (
        user.id, "alice", "gpt-4o", 1, 3625, 1500)
    assert qd.created_at % 3600 == 0


async def test_second_settle_is_a_no_op(storage):
    user, token, ch = seed(100_000, 50_000)
    charge = charge_for(user, token, ch, await billing.pre_consume(user, token, 625))
    assert await billing.settle(charge, Usage(1000, 500, cached_tokens=200)) == 3625
    assert await billing.settle(charge, Usage(1000, 500, cached_tokens=200)) == 3625
    await billing.refund(charge)  # after settle: nothing to give back
    ledger.flush_all()
    u = db_row(User, user.id)
    assert (u.quota, u.used_quota, u.request_count) == (100_000 - 3625, 3625, 1)
    assert len(logs()) == 1


async def test_refund_gives_back_exactly_once(storage):
    user, token, ch = seed(100_000, 50_000)
    charge = charge_for(user, token, ch, await billing.pre_consume(user, token, 625))
    assert ledger.get_ledger().user_quota(user.id) == 99_375
    await billing.refund(charge)
    await billing.refund(charge)
    assert ledger.get_ledger().user_quota(user.id) == 100_000
    assert ledger.get_ledger().token_remain(token.id) == 50_000
    assert await billing.settle(charge, Usage(10, 10)) == 0  # a refunded call cannot be charged
    ledger.flush_all()
    u, t = db_row(User, user.id), db_row(Token, token.id)
    assert (u.quota, u.used_quota, u.request_count) == (100_000, 0, 0)
    assert (t.remain_quota, t.used_quota) == (50_000, 0)
    assert logs() == []  # ErrorLogEnabled is off by default


async def test_refund_writes_error_log_only_when_enabled(storage):
    user, token, ch = seed(100_000, 50_000)
    options.update("ErrorLogEnabled", "true")
    charge = charge_for(user, token, ch, await billing.pre_consume(user, token, 625))
    await billing.refund(charge, error="upstream said no", status_code=502)
    ledger.flush_all()
    [row] = logs()
    assert (row.type, row.quota, row.content, row.model_name) == (5, 0, "upstream said no", "gpt-4o")
    assert orjson.loads(row.other)["status_code"] == 502
    assert db_row(User, user.id).quota == 100_000


@pytest.mark.parametrize(("user_quota", "amount"), [(0, 625), (-5, 625), (600, 625)])
async def test_insufficient_user_quota(storage, user_quota, amount):
    user, token, _ = seed(user_quota, 50_000)
    with pytest.raises(billing.InsufficientUserQuota) as err:
        await billing.pre_consume(user, token, amount)
    assert err.value.status == 403 and err.value.code == "insufficient_user_quota"
    assert ledger.get_ledger().user_quota(user.id) == user_quota  # nothing taken


async def test_insufficient_token_quota(storage):
    user, token, _ = seed(100_000, 600)
    with pytest.raises(billing.InsufficientTokenQuota) as err:
        await billing.pre_consume(user, token, 625)
    assert err.value.status == 403
    assert ledger.get_ledger().user_quota(user.id) == 100_000
    assert ledger.get_ledger().token_remain(token.id) == 600


async def test_unlimited_token_is_not_checked(storage):
    user, token, _ = seed(100_000, 0, unlimited=True)
    assert await billing.pre_consume(user, token, 625) == 625
    assert ledger.get_ledger().token_remain(token.id) == -625  # still tracked, like new-api


@pytest.mark.parametrize(
    ("user_quota", "token_remain", "unlimited", "trust", "expected"),
    [
        (5_000_001, 0, True, True, 0),  # rich user, unlimited token: trusted
        (5_000_001, 5_000_001, False, True, 0),  # rich user, rich token: trusted
        (5_000_001, 5_000_000, False, True, 625),  # token not above the threshold: reserve
        (5_000_000, 0, True, True, 625),  # user not above the threshold: reserve
        (9_000_000, 0, True, False, 625),  # async tasks / realtime are never trusted
    ],
)
async def test_trust_rule(storage, user_quota, token_remain, unlimited, trust, expected):
    user, token, ch = seed(user_quota, token_remain, unlimited)
    reserved = await billing.pre_consume(user, token, 625, trust=trust)
    assert reserved == expected
    charge = charge_for(user, token, ch, reserved)
    assert await billing.settle(charge, Usage(1000, 500, cached_tokens=200)) == 3625
    ledger.flush_all()
    assert db_row(User, user.id).quota == user_quota - 3625  # trusted or not, the full cost is charged


async def test_free_model_needs_no_balance(storage):
    user, token, ch = seed(0, 0)
    free = Pricing(model_ratio=1.25, completion_ratio=4, group_ratio=0)
    amount = billing.estimate_pre_consume(free, 1000, 100)
    assert amount == 0
    assert await billing.pre_consume(user, token, amount) == 0
    charge = charge_for(user, token, ch, 0, pricing=free)
    assert await billing.settle(charge, Usage(1000, 100)) == 0
    ledger.flush_all()
    u = db_row(User, user.id)
    assert (u.quota, u.used_quota, u.request_count) == (0, 0, 1)
    [row] = logs()
    assert row.quota == 0 and row.content == "模型倍率 1.25，补全倍率 4.00，分组倍率 0.00"


async def test_zero_usage_refunds_and_counts_nothing(storage):
    user, token, ch = seed(100_000, 50_000)
    charge = charge_for(user, token, ch, await billing.pre_consume(user, token, 625))
    assert await billing.settle(charge, Usage(0, 0)) == 0
    ledger.flush_all()
    u, t, c = db_row(User, user.id), db_row(Token, token.id), db_row(Channel, ch)
    assert (u.quota, u.used_quota, u.request_count) == (100_000, 0, 0)
    assert (t.remain_quota, t.used_quota, c.used_quota) == (50_000, 0, 0)
    [row] = logs()
    assert row.quota == 0 and row.content.endswith("（可能是上游超时）")
    with session_scope() as s:
        assert s.exec(select(QuotaData)).all() == []


async def test_priced_model_log_and_exact_delta(storage):
    user, token, ch = seed(100_000, 50_000)
    priced = Pricing(model_ratio=0, completion_ratio=1, group_ratio=1, model_price=0.04)
    reserved = await billing.pre_consume(user, token, billing.estimate_pre_consume(priced, 0, None))
    assert reserved == 20_000
    charge = charge_for(user, token, ch, reserved, pricing=priced, model="dall-e-3")
    assert await billing.settle(charge, Usage(0, 0)) == 20_000
    ledger.flush_all()
    assert db_row(User, user.id).quota == 80_000 and db_row(Token, token.id).used_quota == 20_000
    [row] = logs()
    assert row.content == "模型价格 0.04，分组倍率 1.00"
    assert orjson.loads(row.other)["model_price"] == 0.04


async def test_anthropic_usage_logs_cache_creation(storage):
    user, token, ch = seed(100_000, 50_000)
    sonnet = Pricing(model_ratio=1.5, completion_ratio=5, group_ratio=1, cache_ratio=0.1, create_cache_ratio=1.25)
    charge = charge_for(user, token, ch, await billing.pre_consume(user, token, 750), pricing=sonnet,
                        model="claude-3-5-sonnet-20241022")
    usage = Usage(1000, 300, cached_tokens=2000, cache_write_tokens=500, semantics="anthropic")
    assert await billing.settle(charge, usage) == 4988
    ledger.flush_all()
    other = orjson.loads(logs()[0].other)
    assert other["cache_creation_tokens"] == 500 and other["cache_creation_ratio"] == 1.25 and other["claude"]


async def test_consume_log_can_be_disabled_counters_still_move(storage):
    user, token, ch = seed(100_000, 50_000)
    options.update("LogConsumeEnabled", "false")
    charge = charge_for(user, token, ch, await billing.pre_consume(user, token, 625))
    await billing.settle(charge, Usage(1000, 500, cached_tokens=200))
    ledger.flush_all()
    assert logs() == []
    assert db_row(User, user.id).used_quota == 3625


async def test_ip_is_logged_when_the_user_opted_in(storage):
    user, token, ch = seed(100_000, 50_000, setting='{"record_ip_log": true}')
    charge = charge_for(user, token, ch, await billing.pre_consume(user, token, 625))
    await billing.settle(charge, Usage(10, 10))
    ledger.flush_all()
    assert logs()[0].ip == "10.0.0.9"


async def test_playground_call_without_token(storage):
    user, _, ch = seed(100_000)
    reserved = await billing.pre_consume(user, None, 625)
    assert reserved == 625
    charge = charge_for(user, None, ch, reserved)
    assert await billing.settle(charge, Usage(100, 100)) == 625  # (100 + 400)·1.25
    ledger.flush_all()
    assert db_row(User, user.id).quota == 100_000 - 625
    assert logs()[0].token_id == 0


async def test_unbatched_mode_writes_at_once(storage, monkeypatch):
    monkeypatch.setenv("BATCH_UPDATE_ENABLED", "false")
    reset_settings()
    user, token, ch = seed(100_000, 50_000)
    charge = charge_for(user, token, ch, await billing.pre_consume(user, token, 625))
    await billing.settle(charge, Usage(1000, 500, cached_tokens=200))
    assert db_row(User, user.id).quota == 100_000 - 3625  # no explicit flush
    assert len(logs()) == 1


async def test_forget_user_rereads_an_absolute_quota(storage):
    user, token, ch = seed(100_000, 50_000)
    charge = charge_for(user, token, ch, await billing.pre_consume(user, token, 625))
    with session_scope() as s:  # an admin sets the quota absolutely, then invalidates
        row = s.get(User, user.id)
        row.quota = 7_000
        s.add(row)
    ledger.forget_user(user.id)
    assert ledger.get_ledger().user_quota(user.id) == 7_000 - 625  # DB base + the unflushed reservation
    await billing.settle(charge, Usage(1000, 500, cached_tokens=200))
    ledger.flush_all()
    assert db_row(User, user.id).quota == 7_000 - 3625
    assert ledger.get_ledger().user_quota(user.id) == 7_000 - 3625


def test_settle_and_refund_racing_in_threads_apply_once(storage):
    import asyncio
    import threading

    user, token, ch = seed(1_000_000, 1_000_000)
    spent = 0
    for _ in range(15):
        charge = charge_for(user, token, ch, asyncio.run(billing.pre_consume(user, token, 625)))
        barrier = threading.Barrier(4)

        def settle_it(c=charge, b=barrier):
            b.wait()
            asyncio.run(billing.settle(c, Usage(1000, 500, cached_tokens=200)))

        def refund_it(c=charge, b=barrier):
            b.wait()
            asyncio.run(billing.refund(c))

        threads = [threading.Thread(target=f) for f in (settle_it, refund_it, settle_it, refund_it)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert charge.state in ("settled", "refunded")
        spent += 3625 if charge.state == "settled" else 0
        assert charge.charged == (3625 if charge.state == "settled" else 0)
    assert ledger.flush_all()
    u = db_row(User, user.id)
    assert (u.quota, u.used_quota) == (1_000_000 - spent, spent)
    assert sum(row.quota for row in logs()) == spent
