"""Tencent Hunyuan channels (type 23) through real HTTP with the official SDKs: every request is
TC3-HMAC-SHA256 signed over its final body (the fake recomputes the signature), bodies are
PascalCase, whole and streamed replies come back as OpenAI's and Claude's, billed exactly from
Hunyuan's usage; a wrong secret is the channel's failure and free."""

from __future__ import annotations

from collections.abc import Iterator

import anthropic
import openai
import orjson
import pytest

from backend.models.usage import Usage
from tests.fakes import openai_wire as ow
from tests.fakes.tencent import APP_ID, KEY, SECRET_ID, FakeTencent
from tests.relay.relay_seed import (
    RelayEnv,
    consume_logs,
    expected_quota,
    flush,
    make_channel,
    make_key,
    relay_env,
    set_option,
    user_row,
)

MODEL = "hunyuan-lite"


@pytest.fixture
def tencent(sqlite_storage) -> Iterator[tuple[RelayEnv, FakeTencent]]:
    with FakeTencent() as tc, relay_env() as env:
        make_channel(tc.url, MODEL, type_=23, key=KEY, setting={"system_prompt": "be kind"})
        set_option("ModelRatio", orjson.dumps({MODEL: 0.5, "hunyuan-bad": 0.5}).decode())
        yield env, tc


def _billed(user_id: int, n: int) -> None:
    flush()
    q = expected_quota(user_row(user_id), MODEL, Usage(ow.PROMPT_TOKENS, ow.COMPLETION_TOKENS))
    assert [(r.model_name, r.quota) for r in consume_logs(user_id)] == [(MODEL, q)] * n


def test_signed_chat_whole_and_streamed(tencent) -> None:
    env, tc = tencent
    user, _, key = make_key()
    client = env.openai(key)
    reply = client.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "hi"}], temperature=0.2)
    assert reply.choices[0].message.content == ow.REPLY_TEXT
    stream = client.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "hi"}], stream=True,
                                            stream_options={"include_usage": True})
    chunks = list(stream)
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == ow.REPLY_TEXT
    assert chunks[-1].usage is not None and chunks[-1].usage.completion_tokens == ow.COMPLETION_TOKENS

    assert tc.requests[0].json == {"Model": MODEL, "Temperature": 0.2, "Messages": [
        {"Role": "system", "Content": "be kind"}, {"Role": "user", "Content": "hi"}]}
    assert tc.requests[1].json["Stream"] is True
    auth = tc.requests[0].headers["authorization"]
    assert auth.startswith(f"TC3-HMAC-SHA256 Credential={SECRET_ID}/") and APP_ID not in auth
    _billed(user.id, 2)


def test_claude_messages_reach_hunyuan(tencent) -> None:
    env, _ = tencent
    user, _, key = make_key()
    claude = anthropic.Anthropic(api_key=key, base_url=env.url, max_retries=0)
    with claude.messages.stream(model=MODEL, max_tokens=64, messages=[{"role": "user", "content": "hi"}]) as s:
        assert s.get_final_text() == ow.REPLY_TEXT
    _billed(user.id, 1)


def test_a_wrong_secret_is_a_channel_failure_and_free(tencent) -> None:
    env, tc = tencent
    make_channel(tc.url, "hunyuan-bad", type_=23, key=f"{APP_ID}|{SECRET_ID}|not-the-secret")
    user, _, key = make_key()
    with pytest.raises(openai.APIStatusError) as info:
        env.openai(key).chat.completions.create(model="hunyuan-bad", messages=[{"role": "user", "content": "hi"}])
    assert info.value.status_code == 502 and info.value.body["code"] == "channel_auth_failed"
    assert "not-the-secret" not in str(info.value.body)
    flush()
    assert consume_logs(user.id) == []
