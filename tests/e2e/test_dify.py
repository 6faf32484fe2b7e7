"""Dify channels (type 37) through real HTTP with the official SDK: the conversation reaches the
ChatFlow app as one `query`, image URLs as files, blocking and streaming replies come back as
OpenAI's (workflow/node progress as reasoning, counted as new-api counts it), billed exactly;
inline images are refused before any call, and a stream that ends in `error` ends with it."""

from __future__ import annotations

from collections.abc import Iterator

import openai
import orjson
import pytest

from backend.models.usage import Usage
from tests.fakes import openai_wire as ow
from tests.fakes.dify import KEY, FakeDify
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

MODEL = "dify-chatflow"
IMAGE = "https://example.com/cat.png"


@pytest.fixture
def dify(sqlite_storage) -> Iterator[tuple[RelayEnv, FakeDify]]:
    with FakeDify() as df, relay_env() as env:
        make_channel(df.url, MODEL, type_=37, key=KEY)
        set_option("ModelRatio", orjson.dumps({MODEL: 1}).decode())
        yield env, df


def _quota(user_id: int, usage: Usage) -> int:
    return expected_quota(user_row(user_id), MODEL, usage)


def test_blocking_and_streaming_chatflow(dify) -> None:
    env, df = dify
    user, _, key = make_key()
    client = env.openai(key)
    messages = [{"role": "system", "content": "S"}, {"role": "assistant", "content": "A"},
                {"role": "user", "content": [{"type": "text", "text": "look"},
                                             {"type": "image_url", "image_url": {"url": IMAGE}}]}]
    reply = client.chat.completions.create(model=MODEL, messages=messages, user="alice")
    assert reply.choices[0].message.content == ow.REPLY_TEXT
    stream = client.chat.completions.create(model=MODEL, messages=messages, stream=True)
    chunks = [c for c in stream if c.choices]
    assert "".join(c.choices[0].delta.content or "" for c in chunks) == ow.REPLY_TEXT
    reasoning = "".join(getattr(c.choices[0].delta, "reasoning_content", None) or "" for c in chunks)
    assert reasoning == "Workflow: wf-1\nNode: llm\nNode: llm succeeded\nWorkflow: wf-1 succeeded\n"

    first = df.requests[0].json
    assert first == {"inputs": {}, "query": "SYSTEM: \nS\nASSISTANT: \nA\nUSER: \nlook\n", "response_mode": "blocking",
                     "user": "alice", "auto_generate_name": False,
                     "files": [{"type": "image", "transfer_mode": "remote_url", "url": IMAGE}]}
    assert df.requests[1].json["response_mode"] == "streaming" and df.requests[1].json["user"].startswith("chatcmpl-")
    flush()
    p, c = ow.PROMPT_TOKENS, ow.COMPLETION_TOKENS
    assert [r.quota for r in consume_logs(user.id)] == [_quota(user.id, Usage(p, c)), _quota(user.id, Usage(p, c + 4))]


def test_inline_images_are_refused_before_any_call(dify) -> None:
    env, df = dify
    user, _, key = make_key()
    with pytest.raises(openai.BadRequestError) as info:
        env.openai(key).chat.completions.create(model=MODEL, messages=[{"role": "user", "content": [
            {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}}]}])
    assert "URL" in info.value.message
    assert df.requests == []
    flush()
    assert consume_logs(user.id) == []


def test_a_stream_ending_in_error_ends_with_the_error(dify) -> None:
    env, df = dify
    df.fail_stream = True
    user, _, key = make_key()
    stream = env.openai(key).chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "hi"}],
                                                     stream=True)
    seen: list[str] = []
    with pytest.raises(openai.APIError):
        for chunk in stream:
            seen += [chunk.choices[0].delta.content or ""] if chunk.choices else []
    assert "".join(seen) == ow.REPLY_TEXT  # what was delivered before the error event
    flush()
    # like every cut-short stream here, the delivered text is billed, counted locally
    [row] = consume_logs(user.id)
    assert row.completion_tokens > 0 and row.quota == _quota(user.id, Usage(row.prompt_tokens, row.completion_tokens))
