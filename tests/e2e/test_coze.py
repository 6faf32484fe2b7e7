"""Coze channels (type 49) through real HTTP with the official SDKs: the bot named in the
channel's `other` gets the user turns, streamed replies come back as OpenAI (and Claude) streams,
a whole reply is assembled from Coze's stream, billed exactly from the chat's usage; a failed chat
is an error, and a channel without a bot id fails before any call."""

from __future__ import annotations

from collections.abc import Iterator

import anthropic
import openai
import orjson
import pytest

from backend.models.usage import Usage
from tests.fakes import openai_wire as ow
from tests.fakes.coze import BOT_ID, KEY, FakeCoze
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

MODEL = "coze-bot"


@pytest.fixture
def coze(sqlite_storage) -> Iterator[tuple[RelayEnv, FakeCoze]]:
    with FakeCoze() as cz, relay_env() as env:
        make_channel(cz.url, MODEL, type_=49, key=KEY, other=BOT_ID)
        set_option("ModelRatio", orjson.dumps({MODEL: 1, "coze-nobot": 1}).decode())
        yield env, cz


def _billed(user_id: int, n: int) -> None:
    flush()
    q = expected_quota(user_row(user_id), MODEL, Usage(ow.PROMPT_TOKENS, ow.COMPLETION_TOKENS))
    assert [(r.model_name, r.quota) for r in consume_logs(user_id)] == [(MODEL, q)] * n


def test_whole_and_streamed_replies_from_the_v3_stream(coze) -> None:
    env, cz = coze
    user, _, key = make_key()
    client = env.openai(key)
    messages = [{"role": "system", "content": "ignored"}, {"role": "user", "content": "hi"}]
    reply = client.chat.completions.create(model=MODEL, messages=messages, user="bob")
    assert reply.choices[0].message.content == ow.REPLY_TEXT
    assert reply.usage is not None and reply.usage.completion_tokens == ow.COMPLETION_TOKENS
    stream = client.chat.completions.create(model=MODEL, messages=messages, stream=True)
    assert "".join(c.choices[0].delta.content or "" for c in stream if c.choices) == ow.REPLY_TEXT

    assert cz.requests[0].json == {"bot_id": BOT_ID, "user_id": "bob", "stream": True,
                                   "additional_messages": [{"role": "user", "content": "hi", "content_type": "text"}]}
    assert cz.requests[1].json["user_id"].startswith("chatcmpl-")
    _billed(user.id, 2)


def test_claude_messages_reach_the_bot(coze) -> None:
    env, _ = coze
    user, _, key = make_key()
    claude = anthropic.Anthropic(api_key=key, base_url=env.url, max_retries=0)
    with claude.messages.stream(model=MODEL, max_tokens=64, messages=[{"role": "user", "content": "hi"}]) as s:
        assert s.get_final_text() == ow.REPLY_TEXT
    _billed(user.id, 1)


def test_a_failed_chat_is_an_upstream_error(coze) -> None:
    env, cz = coze
    cz.fail = True
    user, _, key = make_key()
    with pytest.raises(openai.APIStatusError) as info:
        env.openai(key).chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "hi"}])
    assert info.value.status_code >= 500
    flush()
    assert consume_logs(user.id) == []


def test_a_channel_without_a_bot_fails_before_any_call(coze) -> None:
    env, cz = coze
    make_channel(cz.url, "coze-nobot", type_=49, key=KEY)
    user, _, key = make_key()
    with pytest.raises(openai.APIStatusError) as info:
        env.openai(key).chat.completions.create(model="coze-nobot", messages=[{"role": "user", "content": "hi"}])
    assert info.value.status_code == 500 and "bot id" in str(info.value.body)
    assert cz.requests == []
