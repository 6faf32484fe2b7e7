"""Baidu channels (type 15) through real HTTP with the official SDK: the "id|secret" key buys an
access token once at the (fake) OAuth endpoint, ERNIE's endpoint for the model is called with it,
whole and streamed replies come back as OpenAI's, billed exactly; a refused client is the
channel's failure and free."""

from __future__ import annotations

from collections.abc import Iterator

import openai
import orjson
import pytest

from backend.models.usage import Usage
from backend.relay.adaptors import baidu_token
from tests.fakes import openai_wire as ow
from tests.fakes.baidu import KEY, FakeBaidu
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

MODEL = "ERNIE-4.0-8K"
EMBED = "Embedding-V1"


@pytest.fixture
def baidu(sqlite_storage) -> Iterator[tuple[RelayEnv, FakeBaidu]]:
    baidu_token.clear()
    with FakeBaidu() as bd, relay_env() as env:
        make_channel(bd.url, f"{MODEL},{EMBED}", type_=15, key=KEY)
        set_option("ModelRatio", orjson.dumps({MODEL: 0.6, "ERNIE-bad": 0.6, EMBED: 0.1}).decode())
        yield env, bd
    baidu_token.clear()


def test_chat_whole_and_streamed_with_one_token(baidu) -> None:
    env, bd = baidu
    user, _, key = make_key()
    client = env.openai(key)
    messages = [{"role": "system", "content": "be brief"}, {"role": "user", "content": "hi"}]
    reply = client.chat.completions.create(model=MODEL, messages=messages, max_tokens=1)
    assert reply.choices[0].message.content == ow.REPLY_TEXT
    stream = client.chat.completions.create(model=MODEL, messages=messages, stream=True,
                                            stream_options={"include_usage": True})
    chunks = list(stream)
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == ow.REPLY_TEXT
    assert chunks[-1].usage is not None and chunks[-1].usage.completion_tokens == ow.COMPLETION_TOKENS

    path = "/rpc/2.0/ai_custom/v1/wenxinworkshop/chat/completions_pro"
    assert [r.path for r in bd.requests] == [path, path]
    assert bd.exchanges == 1 and bd.requests[0].query["access_token"] == bd.requests[1].query["access_token"]
    assert bd.requests[0].json == {"messages": [{"role": "user", "content": "hi"}], "system": "be brief",
                                   "max_output_tokens": 2}
    flush()
    q = expected_quota(user_row(user.id), MODEL, Usage(ow.PROMPT_TOKENS, ow.COMPLETION_TOKENS))
    assert [(r.model_name, r.quota) for r in consume_logs(user.id)] == [(MODEL, q)] * 2


def test_embeddings(baidu) -> None:
    env, bd = baidu
    user, _, key = make_key()
    out = env.openai(key).embeddings.create(model=EMBED, input=["a", "b"])
    assert [d.embedding for d in out.data] == [ow.EMBEDDING, ow.EMBEDDING] and out.usage.prompt_tokens == ow.PROMPT_TOKENS
    assert bd.requests[0].path.endswith("/embeddings/embedding-v1") and bd.requests[0].json == {"input": ["a", "b"]}
    flush()
    q = expected_quota(user_row(user.id), EMBED, Usage(ow.PROMPT_TOKENS, 0))
    assert [(r.model_name, r.quota) for r in consume_logs(user.id)] == [(EMBED, q)]


def test_a_refused_client_is_a_channel_failure_and_free(baidu) -> None:
    env, bd = baidu
    make_channel(bd.url, "ERNIE-bad", type_=15, key="fake-client|wrong-secret")
    user, _, key = make_key()
    with pytest.raises(openai.APIStatusError) as info:
        env.openai(key).chat.completions.create(model="ERNIE-bad", messages=[{"role": "user", "content": "hi"}])
    assert info.value.status_code == 502 and info.value.body["code"] == "channel_auth_failed"
    assert "wrong-secret" not in str(info.value.body)
    assert bd.requests == []
    flush()
    assert consume_logs(user.id) == []
