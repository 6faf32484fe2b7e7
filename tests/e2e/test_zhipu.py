"""Zhipu channels (type 16) through real HTTP with the official SDKs: chat bodies become Zhipu's
v3 `prompt`, the JWT signed with the key's secret authorises the call, whole replies and the
`data:`/`meta:` stream come back as OpenAI (and Claude) replies, billed exactly from Zhipu's usage;
a failed envelope costs nothing."""

from __future__ import annotations

from collections.abc import Iterator

import anthropic
import openai
import orjson
import pytest

from backend.models.usage import Usage
from tests.fakes import openai_wire as ow
from tests.fakes.zhipu import KEY, FakeZhipu
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

MODEL = "chatglm_turbo"


@pytest.fixture
def zhipu(sqlite_storage) -> Iterator[tuple[RelayEnv, FakeZhipu]]:
    with FakeZhipu() as zp, relay_env() as env:
        make_channel(zp.url, MODEL, type_=16, key=KEY)
        set_option("ModelRatio", orjson.dumps({MODEL: 0.5, "glm-bad": 0.5}).decode())
        set_option("CompletionRatio", orjson.dumps({MODEL: 2}).decode())
        yield env, zp


def _billed(user_id: int, n: int) -> None:
    flush()
    q = expected_quota(user_row(user_id), MODEL, Usage(ow.PROMPT_TOKENS, ow.COMPLETION_TOKENS))
    assert [(r.model_name, r.quota) for r in consume_logs(user_id)] == [(MODEL, q)] * n


def test_chat_whole_and_streamed_through_the_v3_api(zhipu) -> None:
    env, zp = zhipu
    user, _, key = make_key()
    client = env.openai(key)
    messages = [{"role": "system", "content": "be brief"}, {"role": "user", "content": "hi"}]
    reply = client.chat.completions.create(model=MODEL, messages=messages, top_p=1)
    assert reply.choices[0].message.content == ow.REPLY_TEXT
    assert reply.usage is not None and reply.usage.prompt_tokens == ow.PROMPT_TOKENS
    stream = client.chat.completions.create(model=MODEL, messages=messages, stream=True,
                                            stream_options={"include_usage": True})
    chunks = list(stream)
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == ow.REPLY_TEXT
    assert chunks[-1].usage is not None and chunks[-1].usage.completion_tokens == ow.COMPLETION_TOKENS

    base = f"/api/paas/v3/model-api/{MODEL}"
    assert [r.path for r in zp.requests] == [f"{base}/invoke", f"{base}/sse-invoke"]
    assert zp.requests[0].json == {
        "prompt": [{"role": "system", "content": "be brief"}, {"role": "user", "content": "Okay"},
                   {"role": "user", "content": "hi"}],
        "top_p": 0.99,
    }
    _billed(user.id, 2)


def test_claude_messages_reach_zhipu(zhipu) -> None:
    env, _ = zhipu
    user, _, key = make_key()
    claude = anthropic.Anthropic(api_key=key, base_url=env.url, max_retries=0)
    msg = claude.messages.create(model=MODEL, max_tokens=64, messages=[{"role": "user", "content": "hi"}])
    assert msg.content[0].text == ow.REPLY_TEXT
    with claude.messages.stream(model=MODEL, max_tokens=64, messages=[{"role": "user", "content": "hi"}]) as s:
        assert s.get_final_text() == ow.REPLY_TEXT
    _billed(user.id, 2)


def test_a_failed_envelope_is_an_upstream_error_and_free(zhipu) -> None:
    env, zp = zhipu
    zp.fail_with = "model overloaded"
    user, _, key = make_key()
    with pytest.raises(openai.APIStatusError) as info:
        env.openai(key).chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "hi"}])
    assert info.value.status_code >= 500
    flush()
    assert consume_logs(user.id) == []


def test_a_key_without_a_secret_is_refused_before_any_call(zhipu) -> None:
    env, zp = zhipu
    make_channel(zp.url, "glm-bad", type_=16, key="no-secret-here")
    user, _, key = make_key()
    with pytest.raises(openai.APIStatusError) as info:
        env.openai(key).chat.completions.create(model="glm-bad", messages=[{"role": "user", "content": "hi"}])
    assert info.value.status_code == 500
    assert "secret" in str(info.value.body) and "no-secret-here" not in str(info.value.body)
    assert zp.requests == []
