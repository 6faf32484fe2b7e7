"""Money through the live gateway, on every database: exact charges, refunds of failed calls,
streams cut by the client or by the idle timer, and 200 concurrent calls on one key."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import httpx
import openai
import orjson
import pytest

from backend.config import reset_settings
from backend.models.usage import Usage
from backend.relay import token_counter
from tests.fakes import openai_wire as ow
from tests.relay.relay_seed import (
    RelayEnv,
    consume_logs,
    expected_quota,
    flush,
    make_channel,
    make_key,
    relay_env,
    token_row,
    user_row,
    wait_until,
)

MESSAGES = [{"role": "user", "content": "Say hello"}]
BODY = {"model": "gpt-4o", "messages": MESSAGES}
USER_QUOTA = 3_000_000  # below the $10 trust line: every call reserves quota first
TOKEN_QUOTA = 2_000_000


@pytest.fixture
def env(storage) -> Iterator[RelayEnv]:
    with relay_env() as e:
        yield e


def limited_key() -> tuple:
    return make_key(quota=USER_QUOTA, unlimited_quota=False, remain_quota=TOKEN_QUOTA)


def balances(user_id: int, token_id: int) -> tuple[int, int, int, int, int]:
    u, t = user_row(user_id), token_row(token_id)
    return u.quota, u.used_quota, u.request_count, t.remain_quota, t.used_quota


def test_success_is_charged_exactly_and_failure_costs_nothing(env: RelayEnv) -> None:
    make_channel(env.fake.url, "gpt-4o")
    make_channel(env.fake.url, "gpt-4o-mini", model_mapping={"gpt-4o-mini": "fail-500"})
    user, token, key = limited_key()
    client = env.openai(key)
    with pytest.raises(openai.InternalServerError):
        client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    flush()
    assert balances(user.id, token.id) == (USER_QUOTA, 0, 0, TOKEN_QUOTA, 0)
    assert consume_logs(user.id) == []

    client.chat.completions.create(**BODY)
    flush()
    q = expected_quota(user, "gpt-4o", Usage(ow.PROMPT_TOKENS, ow.COMPLETION_TOKENS))
    assert balances(user.id, token.id) == (USER_QUOTA - q, q, 1, TOKEN_QUOTA - q, q)
    [row] = consume_logs(user.id)
    assert (row.quota, row.token_id, row.model_name) == (q, token.id, "gpt-4o")


def test_quota_refusals_happen_before_the_upstream_is_called(env: RelayEnv) -> None:
    make_channel(env.fake.url, "gpt-4o,unpriced-model")
    _, _, poor_user = make_key(quota=100, unlimited_quota=True)
    _, _, poor_token = make_key(quota=USER_QUOTA, unlimited_quota=False, remain_quota=100)
    for key, code in ((poor_user, "insufficient_user_quota"), (poor_token, "pre_consume_token_quota_failed")):
        with pytest.raises(openai.PermissionDeniedError) as info:
            env.openai(key).chat.completions.create(**BODY)
        assert info.value.status_code == 403 and info.value.code == code
    with pytest.raises(openai.InternalServerError) as info:
        env.openai(poor_token).chat.completions.create(model="unpriced-model", messages=MESSAGES)
    assert info.value.code == "model_price_error"
    assert env.fake.requests == []


def test_client_disconnect_mid_stream_cancels_upstream_and_settles_once(env: RelayEnv) -> None:
    # "hang-stream": the upstream sends its first chunk, then nothing until it is cancelled.
    make_channel(env.fake.url, "gpt-4o", model_mapping={"gpt-4o": "hang-stream"})
    user, token, key = limited_key()
    with httpx.stream("POST", env.url + "/v1/chat/completions", json={**BODY, "stream": True}, timeout=60,
                      headers={"Authorization": f"Bearer {key}"}) as resp:
        first = next(line for line in resp.iter_lines() if line)
        assert orjson.loads(first[6:])["choices"][0]["delta"]["role"] == "assistant"
    wait_until(lambda: env.probe.disconnects == 1, "the gateway to drop the upstream connection")

    def settled() -> bool:  # counters first: a flush may land the log row before the ledger delta
        flush()
        return user_row(user.id).request_count == 1 and bool(consume_logs(user.id))

    wait_until(settled, "the cut stream to be settled")
    prompt = token_counter.count_chat_request("gpt-4o", BODY)
    q = expected_quota(user, "gpt-4o", Usage(prompt, 0))  # nothing but the role chunk was produced
    [row] = consume_logs(user.id)
    assert (row.is_stream, row.prompt_tokens, row.completion_tokens, row.quota) == (True, prompt, 0, q)
    assert balances(user.id, token.id) == (USER_QUOTA - q, q, 1, TOKEN_QUOTA - q, q)


def test_upstream_error_mid_stream_bills_what_was_produced(env: RelayEnv) -> None:
    # "stream-error": role chunk, "Hello", then an error event.
    make_channel(env.fake.url, "gpt-4o", model_mapping={"gpt-4o": "stream-error"})
    user, token, key = limited_key()
    with httpx.stream("POST", env.url + "/v1/chat/completions", json={**BODY, "stream": True}, timeout=60,
                      headers={"Authorization": f"Bearer {key}"}) as resp:
        lines = [line for line in resp.iter_lines() if line]
    assert "data: [DONE]" not in lines  # a failed stream must not look complete
    assert "fake stream failure" in lines[-1] and lines[-1].startswith('data: {"error"')
    with pytest.raises(openai.APIError):
        list(env.openai(key).chat.completions.create(**BODY, stream=True))

    def both_settled() -> bool:  # the SDK gives up at the error event, before the gateway settles
        flush()
        return user_row(user.id).request_count == 2

    wait_until(both_settled, "the second stream to be settled")
    prompt = token_counter.count_chat_request("gpt-4o", BODY)
    produced = token_counter.count_text("gpt-4o", ow.REPLY_PIECES[0])
    q = expected_quota(user, "gpt-4o", Usage(prompt, produced))
    rows = consume_logs(user.id)
    assert [(r.prompt_tokens, r.completion_tokens, r.quota) for r in rows] == [(prompt, produced, q)] * 2
    assert balances(user.id, token.id) == (USER_QUOTA - 2 * q, 2 * q, 2, TOKEN_QUOTA - 2 * q, 2 * q)


def test_idle_stream_times_out_and_is_refunded(storage, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STREAMING_TIMEOUT", "1")
    reset_settings()
    try:
        with relay_env() as env:
            make_channel(env.fake.url, "gpt-4o", model_mapping={"gpt-4o": "hang-stream"})
            user, token, key = limited_key()
            with httpx.stream("POST", env.url + "/v1/chat/completions", json={**BODY, "stream": True},
                              timeout=60, headers={"Authorization": f"Bearer {key}"}) as resp:
                lines = [line for line in resp.iter_lines() if line]
            assert len(lines) == 2 and "data: [DONE]" not in lines
            assert orjson.loads(lines[1][6:])["error"]["code"] == "stream_timeout"
            wait_until(lambda: env.probe.disconnects == 1, "the idle upstream to be dropped")
            flush()
            assert consume_logs(user.id) == []  # nothing was produced: a failed call costs nothing
            assert balances(user.id, token.id) == (USER_QUOTA, 0, 0, TOKEN_QUOTA, 0)
    finally:
        reset_settings()


async def _burst(env: RelayEnv, key: str, n: int) -> list[str]:
    """n concurrent calls: 3 of 4 succeed (half of those streamed), 1 of 4 fails upstream."""
    client = env.async_openai(key)

    async def one(i: int) -> str:
        try:
            if i % 4 == 3:
                await client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
                return "unexpected success"
            if i % 2:
                stream = await client.chat.completions.create(**BODY, stream=True)
                return "".join([c.choices[0].delta.content or "" async for c in stream if c.choices])
            return (await client.chat.completions.create(**BODY)).choices[0].message.content or ""
        except openai.InternalServerError:
            return "failed"

    try:
        return await asyncio.gather(*(one(i) for i in range(n)))
    finally:
        await client.close()


def _check_burst(env: RelayEnv, n: int) -> None:
    make_channel(env.fake.url, "gpt-4o")
    make_channel(env.fake.url, "gpt-4o-mini", model_mapping={"gpt-4o-mini": "fail-500"})
    user, token, key = limited_key()
    results = asyncio.run(_burst(env, key, n))
    ok = n - n // 4
    assert results.count(ow.REPLY_TEXT) == ok and results.count("failed") == n // 4
    flush()
    q = expected_quota(user, "gpt-4o", Usage(ow.PROMPT_TOKENS, ow.COMPLETION_TOKENS))
    assert balances(user.id, token.id) == (USER_QUOTA - ok * q, ok * q, ok, TOKEN_QUOTA - ok * q, ok * q)
    rows = consume_logs(user.id)
    assert len(rows) == ok and sum(r.quota for r in rows) == ok * q
    assert len({orjson.loads(r.other)["request_id"] for r in rows}) == ok


def test_200_concurrent_calls_on_one_key_lose_and_double_nothing(env: RelayEnv) -> None:
    _check_burst(env, 200)


def test_200_concurrent_calls_with_redis_balances(sqlite_storage, redis_url) -> None:
    with relay_env() as env:
        _check_burst(env, 200)
