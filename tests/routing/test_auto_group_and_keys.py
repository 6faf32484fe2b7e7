"""Routing modes through the live gateway: the `auto` token group (AutoGroups, in order; billed in
the group it lands in), multi-key channels' `polling` and `random` modes, and the cooldown of a
channel that just failed, with its recovery without the test job."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Iterator

import httpx
import openai
import pytest
from sqlmodel import select

from backend.cache import channel_state
from backend.cache import channels as channel_cache
from backend.config import reset_settings
from backend.db import session_scope
from backend.models import Token
from backend.models.schemas.token import TokenCreate
from backend.models.usage import Usage
from backend.services import groups, tokens, users
from backend.services.errors import ServiceError
from tests.relay.relay_seed import (
    RelayEnv,
    consume_logs,
    expected_quota,
    flush,
    make_channel,
    make_key,
    make_token,
    make_user,
    relay_env,
    set_option,
    wait_until,
)

MESSAGES = [{"role": "user", "content": "Say hello"}]


@pytest.fixture
def env(sqlite_storage) -> Iterator[RelayEnv]:
    with relay_env() as e:
        yield e


def auto_setup(env: RelayEnv) -> None:
    set_option("GroupRatio", '{"default":1,"vip":2,"svip":3}')
    set_option("UserUsableGroups", '{"default":"d","vip":"v","auto":"a"}')
    set_option("AutoGroups", '["vip","default","svip"]')
    make_channel(env.fake.url, "gpt-4o,gpt-4o-mini", group="default", key="sk-default")
    make_channel(env.fake.url, "gpt-4o", group="vip", key="sk-vip")
    make_channel(env.fake.url, "gpt-4o,o1-mini", group="svip", key="sk-svip")  # svip: not usable by the user


def test_auto_tries_the_users_groups_in_order_and_bills_the_one_used(env: RelayEnv) -> None:
    auto_setup(env)
    user = make_user(group="default")
    key = f"sk-{make_token(user, group='auto').key}"
    client = env.openai(key)
    client.chat.completions.create(model="gpt-4o", messages=MESSAGES)  # vip comes first and has it
    assert env.fake.last.headers["authorization"] == "Bearer sk-vip"
    client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)  # only default has it
    assert env.fake.last.headers["authorization"] == "Bearer sk-default"
    with pytest.raises(openai.APIStatusError) as refused:  # svip has it, but the user may not use svip
        client.chat.completions.create(model="o1-mini", messages=MESSAGES)
    assert refused.value.status_code == 503
    flush()
    vip, default = consume_logs(user.id)
    assert (vip.group, default.group) == ("vip", "default")
    for row, group in ((vip, "vip"), (default, "default")):
        usage = Usage(row.prompt_tokens, row.completion_tokens)
        assert row.quota == expected_quota(user, row.model_name, usage, group=group) > 0
    assert vip.quota == 2 * expected_quota(user, "gpt-4o", Usage(vip.prompt_tokens, vip.completion_tokens))
    models = httpx.get(env.url + "/v1/models", headers={"Authorization": f"Bearer {key}"}).json()["data"]
    assert sorted(m["id"] for m in models) == ["gpt-4o", "gpt-4o-mini"]


def test_auto_is_a_token_group_only_where_offered(env: RelayEnv) -> None:
    auto_setup(env)
    user = make_user(group="default")
    assert tokens.create_token(user, TokenCreate(name="a", group="auto", unlimited_quota=True)).group == "auto"
    set_option("UserUsableGroups", '{"default":"d","vip":"v"}')
    with pytest.raises(ServiceError):
        tokens.create_token(user, TokenCreate(name="b", group="auto"))
    with session_scope() as s:
        row = s.exec(select(Token).where(Token.user_id == user.id)).one()
    with pytest.raises(openai.PermissionDeniedError):  # a key made while it was offered stops working
        env.openai(f"sk-{row.key}").chat.completions.create(model="gpt-4o", messages=MESSAGES)


def test_polling_takes_the_keys_in_turn_and_random_uses_them_all(env: RelayEnv) -> None:
    polled = make_channel(env.fake.url, "gpt-4o", key="sk-p1\nsk-p2\nsk-p3", multi_key=True,
                          multi_key_mode="polling")
    _user, _token, key = make_key()
    client = env.openai(key)
    for _ in range(7):
        client.chat.completions.create(model="gpt-4o", messages=MESSAGES)
    seen = [r.headers["authorization"][7:] for r in env.fake.requests]
    assert seen == ["sk-p1", "sk-p2", "sk-p3", "sk-p1", "sk-p2", "sk-p3", "sk-p1"]
    assert channel_cache.get_channel(polled).multi_key_mode == "polling"

    env.fake.reset()
    make_channel(env.fake.url, "gpt-4o-mini", key="sk-r1\nsk-r2\nsk-r3", multi_key=True, multi_key_mode="random")
    for _ in range(40):
        client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    counts = Counter(r.headers["authorization"][7:] for r in env.fake.requests)
    assert set(counts) == {"sk-r1", "sk-r2", "sk-r3"} and sum(counts.values()) == 40


def test_a_failing_channel_cools_down_and_comes_back_by_itself(env: RelayEnv) -> None:
    set_option("RetryTimes", "1")
    set_option("ChannelCooldownSeconds", "3600")
    flaky = make_channel(env.fake.url, "gpt-4o", key="sk-flaky")
    make_channel(env.fake.url, "gpt-4o", key="sk-steady")
    env.fake.fail_keys["sk-flaky"] = 502
    _user, _token, key = make_key()
    client = env.openai(key)

    def flaky_calls() -> int:
        return sum(r.headers["authorization"] == "Bearer sk-flaky" for r in env.fake.requests)

    for _ in range(200):  # the weighted pick reaches it sooner or later (each call succeeds)
        if flaky_calls():
            break
        client.chat.completions.create(model="gpt-4o", messages=MESSAGES)
    assert channel_state.cooling(flaky)
    for _ in range(20):  # cooling: passed over while its tier has another channel
        client.chat.completions.create(model="gpt-4o", messages=MESSAGES)
    assert flaky_calls() == 1

    del env.fake.fail_keys["sk-flaky"]  # the upstream recovers; a short cooldown ends by itself
    set_option("ChannelCooldownSeconds", "0.2")
    channel_state._reset()  # a cooldown is only ever lengthened; start a short one afresh
    asyncio.run(channel_state.cool_down(flaky, 0.2))  # no Redis: memory only, any loop will do

    def back() -> bool:
        client.chat.completions.create(model="gpt-4o", messages=MESSAGES)
        return flaky_calls() > 1

    wait_until(back, "the cooled channel to be used again", interval=0.05)
    assert not channel_state.cooling(flaky)


def test_no_cooldown_by_default(env: RelayEnv) -> None:
    flaky = make_channel(env.fake.url, "gpt-4o", key="sk-flaky")
    env.fake.fail_keys["sk-flaky"] = 502
    _user, _token, key = make_key()
    with pytest.raises(openai.APIStatusError):
        env.openai(key).chat.completions.create(model="gpt-4o", messages=MESSAGES)
    assert not channel_state.cooling(flaky)


def vip_then_default(*, offer_auto: bool = True) -> None:
    set_option("GroupRatio", '{"default":1,"vip":2}')
    set_option("UserUsableGroups", '{"default":"d","vip":"v","auto":"a"}' if offer_auto else '{"default":"d","vip":"v"}')
    set_option("AutoGroups", '["vip","default"]')


def test_an_auto_retry_moves_to_the_next_group_once_its_channels_are_exhausted(env: RelayEnv) -> None:
    vip_then_default()
    set_option("RetryTimes", "3")
    make_channel(env.fake.url, "gpt-4o", group="vip", key="sk-vip1", priority=10)
    make_channel(env.fake.url, "gpt-4o", group="vip", key="sk-vip2")
    make_channel(env.fake.url, "gpt-4o", group="default", key="sk-default")
    env.fake.fail_keys.update({"sk-vip1": 502, "sk-vip2": 503})
    user = make_user(group="default")
    client = env.openai(f"sk-{make_token(user, group='auto').key}")
    client.chat.completions.create(model="gpt-4o", messages=MESSAGES)
    # vip's two tiers first (each channel once), then default: the group that answered
    assert [r.headers["authorization"][7:] for r in env.fake.requests] == ["sk-vip1", "sk-vip2", "sk-default"]
    flush()
    (row,) = consume_logs(user.id)
    assert row.group == "default"
    assert row.quota == expected_quota(user, "gpt-4o", Usage(row.prompt_tokens, row.completion_tokens)) > 0


def test_an_auto_retry_stays_in_its_group_while_the_group_has_channels(env: RelayEnv) -> None:
    vip_then_default()
    set_option("RetryTimes", "1")
    make_channel(env.fake.url, "gpt-4o", group="vip", key="sk-vip-down")
    make_channel(env.fake.url, "gpt-4o", group="vip", key="sk-vip-up")
    make_channel(env.fake.url, "gpt-4o", group="default", key="sk-default")
    env.fake.fail_keys["sk-vip-down"] = 502
    user = make_user(group="default")
    client = env.openai(f"sk-{make_token(user, group='auto').key}")
    for _ in range(200):  # until a call met the bad one
        if any(r.headers["authorization"] == "Bearer sk-vip-down" for r in env.fake.requests):
            break
        client.chat.completions.create(model="gpt-4o", messages=MESSAGES)
    assert "Bearer sk-default" not in {r.headers["authorization"] for r in env.fake.requests}
    flush()
    assert {row.group for row in consume_logs(user.id)} == {"vip"}


def test_without_retries_an_auto_call_fails_in_its_first_group_and_costs_nothing(env: RelayEnv) -> None:
    vip_then_default()
    make_channel(env.fake.url, "gpt-4o", group="vip", key="sk-vip")
    make_channel(env.fake.url, "gpt-4o", group="default", key="sk-default")
    env.fake.fail_keys["sk-vip"] = 502
    user = make_user(group="default", quota=1_000_000)
    with pytest.raises(openai.APIStatusError) as failed:
        env.openai(f"sk-{make_token(user, group='auto').key}").chat.completions.create(model="gpt-4o",
                                                                                       messages=MESSAGES)
    assert failed.value.status_code == 502 and len(env.fake.requests) == 1
    flush()
    assert consume_logs(user.id) == [] and users.get_user(user.id).quota == 1_000_000


def test_default_use_auto_group_offers_auto_and_gives_new_keys_to_it(env: RelayEnv, monkeypatch) -> None:
    vip_then_default(offer_auto=False)  # auto only through DefaultUseAutoGroup
    make_channel(env.fake.url, "gpt-4o", group="vip", key="sk-vip")
    set_option("QuotaForNewUser", "1000000")
    monkeypatch.setenv("GENERATE_DEFAULT_TOKEN", "true")
    reset_settings()
    status = httpx.get(env.url + "/api/status").json()["data"]
    assert status["default_use_auto_group"] is False
    before = users.register("plainuser", "long-enough")
    assert [t.group for t in tokens_of(before.id)] == [""]

    set_option("DefaultUseAutoGroup", "true")
    assert httpx.get(env.url + "/api/status").json()["data"]["default_use_auto_group"] is True
    assert groups.usable_groups("default")[groups.AUTO] == groups.AUTO_DESCRIPTION
    new = users.register("autouser", "long-enough")
    (key,) = tokens_of(new.id)
    assert key.group == "auto"
    env.openai(f"sk-{key.key}").chat.completions.create(model="gpt-4o", messages=MESSAGES)
    assert env.fake.last.headers["authorization"] == "Bearer sk-vip"
    flush()
    assert [row.group for row in consume_logs(new.id)] == ["vip"]


def tokens_of(user_id: int) -> list[Token]:
    with session_scope() as s:
        return list(s.exec(select(Token).where(Token.user_id == user_id)).all())
