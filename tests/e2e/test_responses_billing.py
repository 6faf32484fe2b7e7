"""Responses money on every database: a /v1/responses call (native and through the Chat pivot) and a
Chat call on a Responses-only model are charged exactly what their usage costs, once, with one
consume log row each; a failed call costs nothing."""

from __future__ import annotations

from collections.abc import Iterator

import openai
import pytest

from backend.models.usage import Usage
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

USER_QUOTA = 3_000_000
TOKEN_QUOTA = 2_000_000


@pytest.fixture
def env(storage) -> Iterator[RelayEnv]:
    with relay_env() as e:
        yield e


def _settled(user_id: int, n: int) -> None:
    def done() -> bool:
        flush()
        return user_row(user_id).request_count == n and len(consume_logs(user_id)) == n

    wait_until(done, f"{n} settled calls")


@pytest.mark.parametrize("type_", [1, 14], ids=["openai-native", "anthropic-pivot"])
def test_responses_calls_are_charged_exactly_and_failures_cost_nothing(env: RelayEnv, type_: int) -> None:
    make_channel(env.fake.url, "gpt-4o", type_=type_)
    make_channel(env.fake.url, "gpt-4o-mini", type_=type_, model_mapping={"gpt-4o-mini": "fail-500"})
    user, token, key = make_key(quota=USER_QUOTA, unlimited_quota=False, remain_quota=TOKEN_QUOTA)
    client = env.openai(key)
    with pytest.raises(openai.InternalServerError):
        client.responses.create(model="gpt-4o-mini", input="hi")
    with pytest.raises(openai.InternalServerError):
        list(client.responses.create(model="gpt-4o-mini", input="hi", stream=True))
    assert client.responses.create(model="gpt-4o", input="hi").output_text == ow.REPLY_TEXT
    with client.responses.stream(model="gpt-4o", input="hi") as stream:
        assert stream.get_final_response().output_text == ow.REPLY_TEXT
    _settled(user.id, 2)
    q = expected_quota(user, "gpt-4o", Usage(ow.PROMPT_TOKENS, ow.COMPLETION_TOKENS))
    rows = consume_logs(user.id)
    assert [(r.model_name, r.is_stream, r.prompt_tokens, r.completion_tokens, r.quota) for r in rows] == [
        ("gpt-4o", False, ow.PROMPT_TOKENS, ow.COMPLETION_TOKENS, q),
        ("gpt-4o", True, ow.PROMPT_TOKENS, ow.COMPLETION_TOKENS, q),
    ]
    u, t = user_row(user.id), token_row(token.id)
    assert (u.quota, u.used_quota, t.remain_quota, t.used_quota) == (USER_QUOTA - 2 * q, 2 * q, TOKEN_QUOTA - 2 * q, 2 * q)


def test_chat_on_a_codex_model_is_charged_exactly(env: RelayEnv) -> None:
    make_channel(env.fake.url, "gpt-4o", model_mapping={"gpt-4o": "gpt-5-codex-cache"})
    user, token, key = make_key(quota=USER_QUOTA, unlimited_quota=False, remain_quota=TOKEN_QUOTA)
    client = env.openai(key)
    messages = [{"role": "user", "content": "hi"}]
    client.chat.completions.create(model="gpt-4o", messages=messages)
    list(client.chat.completions.create(model="gpt-4o", messages=messages, stream=True))
    _settled(user.id, 2)
    q = expected_quota(user, "gpt-4o", Usage(ow.PROMPT_TOKENS, ow.COMPLETION_TOKENS, ow.CACHED_TOKENS))
    assert [(r.prompt_tokens, r.completion_tokens, r.quota) for r in consume_logs(user.id)] == [
        (ow.PROMPT_TOKENS, ow.COMPLETION_TOKENS, q)] * 2
    assert token_row(token.id).used_quota == 2 * q
