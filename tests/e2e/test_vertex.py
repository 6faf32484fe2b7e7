"""Vertex AI channels (type 41) through real HTTP with the official SDKs: the service-account key
buys an access token at the (fake) token endpoint, once, and Gemini and Claude models reach their
publisher endpoints in the channel's region, stream and not, billed exactly; a refused token
exchange is the channel's failure, not the caller's, and costs nothing."""

from __future__ import annotations

from collections.abc import Iterator

import anthropic
import openai
import pytest

from backend.models.usage import Usage
from tests.fakes import openai_wire as ow
from tests.fakes.vertex import PROJECT, FakeVertex
from tests.relay.relay_seed import (
    RelayEnv,
    consume_logs,
    expected_quota,
    flush,
    make_channel,
    make_key,
    relay_env,
    user_row,
)

GEMINI, CLAUDE = "gemini-2.5-flash", "claude-sonnet-4-20250514"
REGION = "us-east5"


@pytest.fixture
def vertex(sqlite_storage) -> Iterator[tuple[RelayEnv, FakeVertex]]:
    with FakeVertex() as vx, relay_env() as env:
        make_channel(vx.url, f"{GEMINI},{CLAUDE}", type_=41, key=vx.service_account(), other=REGION)
        yield env, vx


def _billed(user_id: int, model: str, n: int = 1) -> None:
    flush()
    q = expected_quota(user_row(user_id), model, Usage(ow.PROMPT_TOKENS, ow.COMPLETION_TOKENS))
    assert [(r.model_name, r.quota) for r in consume_logs(user_id)] == [(model, q)] * n


def test_gemini_on_vertex_chat_and_stream_share_one_token(vertex) -> None:
    env, vx = vertex
    user, _, key = make_key()
    client = env.openai(key)
    reply = client.chat.completions.create(model=GEMINI, messages=[{"role": "user", "content": "hi"}])
    assert reply.choices[0].message.content == ow.REPLY_TEXT
    stream = client.chat.completions.create(model=GEMINI, messages=[{"role": "user", "content": "hi"}], stream=True)
    assert "".join(c.choices[0].delta.content or "" for c in stream if c.choices) == ow.REPLY_TEXT

    base = f"/v1/projects/{PROJECT}/locations/{REGION}/publishers/google/models/{GEMINI}"
    assert [r.path for r in vx.requests] == [f"{base}:generateContent", f"{base}:streamGenerateContent"]
    assert vx.requests[1].query == {"alt": "sse"}
    assert vx.exchanges == 1  # the token was cached for the second call
    assert vx.requests[0].headers["authorization"] == vx.requests[1].headers["authorization"] == "Bearer ya29.fake-1"
    _billed(user.id, GEMINI, 2)


def test_claude_on_vertex_through_openai_and_anthropic_sdks(vertex) -> None:
    env, vx = vertex
    user, _, key = make_key()
    stream = env.openai(key).chat.completions.create(
        model=CLAUDE, messages=[{"role": "user", "content": "hi"}], stream=True)
    assert "".join(c.choices[0].delta.content or "" for c in stream if c.choices) == ow.REPLY_TEXT
    claude = anthropic.Anthropic(api_key=key, base_url=env.url, max_retries=0)
    msg = claude.messages.create(model=CLAUDE, max_tokens=64, messages=[{"role": "user", "content": "hi"}])
    assert msg.content[0].text == ow.REPLY_TEXT

    base = f"/v1/projects/{PROJECT}/locations/{REGION}/publishers/anthropic/models/claude-sonnet-4@20250514"
    assert [r.path for r in vx.requests] == [f"{base}:streamRawPredict", f"{base}:rawPredict"]
    assert all("model" not in r.json and r.json["anthropic_version"] == "vertex-2023-10-16" for r in vx.requests)
    assert "x-api-key" not in vx.requests[0].headers
    _billed(user.id, CLAUDE, 2)


def test_a_refused_token_exchange_is_a_channel_failure_and_free(vertex) -> None:
    env, vx = vertex
    vx.refuse_tokens = True
    user, _, key = make_key()
    with pytest.raises(openai.APIStatusError) as info:
        env.openai(key).chat.completions.create(model=GEMINI, messages=[{"role": "user", "content": "hi"}])
    assert info.value.status_code == 502
    assert info.value.body["code"] == "channel_auth_failed"
    assert vx.requests == []
    flush()
    assert consume_logs(user.id) == []
