"""Routing through the live gateway with the `openai` SDK: retries across priority tiers
(RetryTimes), which statuses are retried, status_code_mapping, auto-disable, pinned channels and
the error objects clients see."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import httpx
import openai
import pytest

from backend.cache import channels as channel_cache
from backend.config import reset_settings
from backend.models.enums import ChannelStatus, Role
from tests.conftest import free_port
from tests.fakes import openai_wire as ow
from tests.relay.relay_seed import (
    RelayEnv,
    channel_row,
    consume_logs,
    flush,
    log_other,
    make_channel,
    make_key,
    relay_env,
    set_option,
    user_row,
    wait_until,
)

MESSAGES = [{"role": "user", "content": "Say hello"}]
ANTHROPIC = 14


@pytest.fixture
def env(sqlite_storage) -> Iterator[RelayEnv]:
    with relay_env() as e:
        yield e


def chat(env: RelayEnv, key: str, model: str = "gpt-4o") -> str:
    reply = env.openai(key).chat.completions.create(model=model, messages=MESSAGES)
    return reply.choices[0].message.content or ""


def upstream_keys(env: RelayEnv) -> list[str]:
    return [r.headers.get("authorization") or r.headers.get("x-api-key", "") for r in env.fake.requests]


def raw_error(env: RelayEnv, key: str, model: str = "gpt-4o") -> tuple[int, dict, str]:
    resp = httpx.post(env.url + "/v1/chat/completions", json={"model": model, "messages": MESSAGES},
                      headers={"Authorization": f"Bearer {key}"}, timeout=60)
    return resp.status_code, resp.json()["error"], resp.headers["X-Oneapi-Request-Id"]


def test_retry_walks_down_the_priority_tiers(env: RelayEnv) -> None:
    env.fake.fail_keys["sk-bad"] = 500
    high = make_channel(env.fake.url, "gpt-4o", key="sk-bad", priority=10)
    low = make_channel(env.fake.url, "gpt-4o", key="sk-good", priority=0)
    user, _, key = make_key()

    with pytest.raises(openai.InternalServerError) as info:  # RetryTimes defaults to 0
        chat(env, key)
    assert info.value.status_code == 500
    assert upstream_keys(env) == ["Bearer sk-bad"]

    set_option("RetryTimes", "1")
    env.fake.requests.clear()
    assert chat(env, key) == ow.REPLY_TEXT
    assert upstream_keys(env) == ["Bearer sk-bad", "Bearer sk-good"]
    flush()
    [row] = consume_logs(user.id)  # the failed call was not billed
    assert row.channel_id == low
    assert log_other(row)["admin_info"]["use_channel"] == [str(high), str(low)]


@pytest.mark.parametrize("retries", [0, 2])
def test_upstream_429(env: RelayEnv, retries: int) -> None:
    env.fake.fail_keys["sk-busy"] = 429
    make_channel(env.fake.url, "gpt-4o", key="sk-busy", priority=5)
    make_channel(env.fake.url, "gpt-4o", key="sk-free", priority=0)
    set_option("RetryTimes", str(retries))
    _, _, key = make_key()
    if retries == 0:
        with pytest.raises(openai.RateLimitError) as info:
            chat(env, key)
        assert "fake failure 429" in info.value.message
        assert upstream_keys(env) == ["Bearer sk-busy"]
    else:
        assert chat(env, key) == ow.REPLY_TEXT
        assert upstream_keys(env) == ["Bearer sk-busy", "Bearer sk-free"]


def test_single_channel_is_retried_until_retry_times_is_spent(env: RelayEnv) -> None:
    env.fake.fail_keys["sk-flaky"] = 503
    make_channel(env.fake.url, "gpt-4o", key="sk-flaky")
    set_option("RetryTimes", "2")
    user, _, key = make_key()
    status, err, rid = raw_error(env, key)
    assert status == 503
    assert err["message"] == f"fake failure 503 (request id: {rid})"
    assert len(env.fake.requests) == 3
    flush()
    assert consume_logs(user.id) == []


def test_400_is_not_retried(env: RelayEnv) -> None:
    env.fake.fail_keys["sk-picky"] = 400
    make_channel(env.fake.url, "gpt-4o", key="sk-picky", priority=5)
    make_channel(env.fake.url, "gpt-4o", key="sk-good")
    set_option("RetryTimes", "2")
    _, _, key = make_key()
    with pytest.raises(openai.BadRequestError):
        chat(env, key)
    assert upstream_keys(env) == ["Bearer sk-picky"]


def test_400_from_an_anthropic_channel_is_retried(env: RelayEnv) -> None:
    env.fake.fail_keys["sk-ant-picky"] = 400
    make_channel(env.fake.url, "claude-3-5-sonnet-20241022", type_=ANTHROPIC, key="sk-ant-picky", priority=5)
    make_channel(env.fake.url, "claude-3-5-sonnet-20241022", key="sk-good")
    set_option("RetryTimes", "1")
    _, _, key = make_key()
    assert chat(env, key, "claude-3-5-sonnet-20241022") == ow.REPLY_TEXT
    assert [r.path for r in env.fake.requests] == ["/v1/messages", "/v1/chat/completions"]


def test_status_code_mapping_applies_before_the_retry_decision(env: RelayEnv) -> None:
    env.fake.fail_keys["sk-mapped"] = 429
    make_channel(env.fake.url, "gpt-4o", key="sk-mapped", priority=5, status_code_mapping={"429": "400"})
    make_channel(env.fake.url, "gpt-4o", key="sk-good")
    set_option("RetryTimes", "1")
    _, _, key = make_key()
    status, err, _ = raw_error(env, key)
    assert status == 400  # mapped, hence not retried
    assert "fake failure 429" in err["message"]
    assert upstream_keys(env) == ["Bearer sk-mapped"]


def test_status_code_mapping_changes_what_the_client_sees(env: RelayEnv) -> None:
    env.fake.fail_keys["sk-down"] = 500
    make_channel(env.fake.url, "gpt-4o", key="sk-down", status_code_mapping={"500": "503"})
    _, _, key = make_key()
    with pytest.raises(openai.InternalServerError) as info:
        chat(env, key)
    assert info.value.status_code == 503


def test_upstream_errors_without_an_error_object(env: RelayEnv) -> None:
    make_channel(env.fake.url, "plain,empty", model_mapping={"plain": "fail-502-plain", "empty": "fail-502-empty"})
    set_option("ModelRatio", '{"plain": 1, "empty": 1}')
    _, _, key = make_key()
    status, err, rid = raw_error(env, key, "plain")
    assert status == 502
    assert err == {"message": f"fake failure 502 (request id: {rid})", "type": "upstream_error", "param": "502",
                   "code": "bad_response_status_code"}
    status, err, rid = raw_error(env, key, "empty")
    assert status == 502 and err["message"] == f"bad response status code 502 (request id: {rid})"


def test_unreachable_channel_hides_its_address_and_is_retried(env: RelayEnv) -> None:
    dead = f"http://127.0.0.1:{free_port()}"
    make_channel(dead, "gpt-4o", key="sk-dead", priority=5)
    _, _, key = make_key()
    status, err, _ = raw_error(env, key)
    assert status == 500 and err["code"] == "do_request_failed"
    assert "127.0.0.1" not in err["message"] and "http" not in err["message"]
    make_channel(env.fake.url, "gpt-4o", key="sk-good")
    set_option("RetryTimes", "1")
    assert chat(env, key) == ow.REPLY_TEXT


def test_auto_disable_respects_the_option_and_auto_ban(env: RelayEnv) -> None:
    env.fake.fail_keys["sk-revoked"] = 401
    env.fake.fail_keys["sk-revoked-keep"] = 401
    kept = make_channel(env.fake.url, "gpt-4o", key="sk-revoked-keep", priority=20, auto_ban=0)
    banned = make_channel(env.fake.url, "gpt-4o", key="sk-revoked", priority=10)
    make_channel(env.fake.url, "gpt-4o", key="sk-good", priority=0)
    set_option("RetryTimes", "2")
    _, _, key = make_key()

    assert chat(env, key) == ow.REPLY_TEXT  # option off (the default): nothing is disabled
    assert upstream_keys(env) == ["Bearer sk-revoked-keep", "Bearer sk-revoked", "Bearer sk-good"]

    set_option("AutomaticDisableChannelEnabled", "true")
    env.fake.requests.clear()
    assert chat(env, key) == ow.REPLY_TEXT
    wait_until(lambda: channel_row(banned).status == ChannelStatus.AUTO_DISABLED, "the 401 channel to be disabled")
    assert channel_row(kept).status == ChannelStatus.ENABLED  # auto_ban = 0
    env.fake.requests.clear()
    assert chat(env, key) == ow.REPLY_TEXT
    assert upstream_keys(env) == ["Bearer sk-revoked-keep", "Bearer sk-good"]  # the disabled one is gone


def test_pinned_channel_is_used_and_never_retried(env: RelayEnv) -> None:
    env.fake.fail_keys["sk-bad"] = 500
    bad = make_channel(env.fake.url, "gpt-4o", key="sk-bad", priority=10)
    good = make_channel(env.fake.url, "gpt-4o", key="sk-good", priority=0)
    set_option("RetryTimes", "3")
    admin, _, key = make_key(role=Role.ADMIN)
    assert chat(env, f"{key}-{good}") == ow.REPLY_TEXT
    assert upstream_keys(env) == ["Bearer sk-good"]
    env.fake.requests.clear()
    with pytest.raises(openai.InternalServerError):
        chat(env, f"{key}-{bad}")
    assert upstream_keys(env) == ["Bearer sk-bad"]
    flush()
    assert [r.channel_id for r in consume_logs(admin.id)] == [good]
    assert user_row(admin.id).request_count == 1


def test_auto_disable_of_a_multi_key_channel_drops_only_the_failing_key(env: RelayEnv) -> None:
    env.fake.fail_keys["sk-dead"] = 401
    channel = make_channel(env.fake.url, "gpt-4o", key="sk-dead\nsk-live", multi_key=True)
    set_option("AutomaticDisableChannelEnabled", "true")
    set_option("RetryTimes", "3")
    _, _, key = make_key()
    for _ in range(60):  # keys are drawn at random: call until the dead one has been tried
        with contextlib.suppress(openai.APIStatusError):  # every draw may hit the dead key
            chat(env, key)
        if "Bearer sk-dead" in upstream_keys(env):
            break
    assert "Bearer sk-dead" in upstream_keys(env)
    wait_until(lambda: channel_cache.get_channel(channel) is not None
               and channel_cache.get_channel(channel).keys == ("sk-live",), "the dead key to be dropped")
    assert channel_row(channel).status == ChannelStatus.ENABLED
    env.fake.requests.clear()
    for _ in range(5):
        assert chat(env, key) == ow.REPLY_TEXT
    assert upstream_keys(env) == ["Bearer sk-live"] * 5


def test_relay_timeout_fails_over_to_the_next_channel(sqlite_storage, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RELAY_TIMEOUT", "1")
    reset_settings()
    try:
        with relay_env() as env:
            make_channel(env.fake.url, "gpt-4o", key="sk-slow", priority=5, model_mapping={"gpt-4o": "hang"})
            _, _, key = make_key()
            status, err, _ = raw_error(env, key)
            assert status == 500 and err["code"] == "do_request_failed"
            make_channel(env.fake.url, "gpt-4o", key="sk-good")
            set_option("RetryTimes", "1")
            assert chat(env, key) == ow.REPLY_TEXT
            assert upstream_keys(env)[-2:] == ["Bearer sk-slow", "Bearer sk-good"]
    finally:
        reset_settings()
