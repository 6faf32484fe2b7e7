"""The official `openai` SDK against the live gateway, in front of the fake upstream: chat (whole and
streamed, with and without usage), completions, embeddings, models, a Claude channel behind the
OpenAI endpoint. Each call's bill is checked in the DB after the ledger flush."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import openai
import orjson
import pytest

from backend.cache import invalidate_user
from backend.db import session_scope
from backend.models import User
from backend.models.usage import Usage
from backend.relay import token_counter
from tests.fakes import openai_wire as ow
from tests.relay.relay_seed import (
    RelayEnv,
    consume_logs,
    expected_quota,
    flush,
    log_other,
    make_channel,
    make_key,
    relay_env,
    set_option,
    token_row,
    user_row,
)

MESSAGES = [{"role": "user", "content": "Say hello"}]
UPSTREAM_USAGE = Usage(ow.PROMPT_TOKENS, ow.COMPLETION_TOKENS)
QUOTA = 10_000_000


@pytest.fixture
def env(sqlite_storage) -> Iterator[RelayEnv]:
    with relay_env() as e:
        yield e


def sse_lines(env: RelayEnv, key: str, body: dict) -> list[str]:
    """The raw `data:` lines the gateway streams (to count [DONE] and see hidden chunks)."""
    with httpx.stream("POST", env.url + "/v1/chat/completions", json=body, timeout=60,
                      headers={"Authorization": f"Bearer {key}"}) as resp:
        assert resp.status_code == 200
        assert resp.headers["content-type"].startswith("text/event-stream")
        assert resp.headers["cache-control"] == "no-cache"
        assert resp.headers["x-accel-buffering"] == "no"
        return [line for line in resp.iter_lines() if line]


def test_chat_whole_reply_billed_and_logged(env: RelayEnv) -> None:
    channel = make_channel(env.fake.url, "gpt-4o", key="sk-up-1")
    user, token, key = make_key(quota=QUOTA)
    raw = env.openai(key).chat.completions.with_raw_response.create(model="gpt-4o", messages=MESSAGES)
    request_id = raw.headers["x-oneapi-request-id"]
    reply = raw.parse()
    assert reply.choices[0].message.content == ow.REPLY_TEXT
    assert (reply.usage.prompt_tokens, reply.usage.completion_tokens) == (ow.PROMPT_TOKENS, ow.COMPLETION_TOKENS)
    sent = env.fake.last
    assert sent.path == "/v1/chat/completions"
    assert sent.headers["authorization"] == "Bearer sk-up-1"
    assert sent.json["model"] == "gpt-4o" and sent.json["messages"] == MESSAGES

    flush()
    quota = expected_quota(user, "gpt-4o", UPSTREAM_USAGE)
    assert quota == 60  # (12 + 9·4)·1.25 with the default gpt-4o ratios
    u = user_row(user.id)
    assert (u.quota, u.used_quota, u.request_count) == (QUOTA - quota, quota, 1)
    assert token_row(token.id).used_quota == quota
    [row] = consume_logs(user.id)
    assert (row.model_name, row.quota, row.prompt_tokens, row.completion_tokens) == ("gpt-4o", quota, 12, 9)
    assert (row.channel_id, row.token_name, row.token_id, row.group, row.is_stream) == (
        channel, token.name, token.id, "default", False)
    assert row.use_time >= 0
    other = log_other(row)
    assert other["request_id"] == request_id  # a client's request id finds its log row
    assert other["admin_info"]["use_channel"] == [str(channel)]
    assert isinstance(other["frt"], int) and other["frt"] >= 0
    assert "is_model_mapped" not in other


def test_chat_stream_without_usage_hides_the_forced_usage_chunk(env: RelayEnv) -> None:
    make_channel(env.fake.url, "gpt-4o")
    user, _, key = make_key(quota=QUOTA)
    chunks = list(env.openai(key).chat.completions.create(model="gpt-4o", messages=MESSAGES, stream=True))
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == ow.REPLY_TEXT
    assert all(c.usage is None for c in chunks)
    assert env.fake.last.json["stream_options"] == {"include_usage": True}  # forced upstream

    lines = sse_lines(env, key, {"model": "gpt-4o", "messages": MESSAGES, "stream": True})
    assert lines.count("data: [DONE]") == 1 and lines[-1] == "data: [DONE]"
    assert not any('"usage":{' in line for line in lines)

    flush()
    rows = consume_logs(user.id)
    quota = expected_quota(user, "gpt-4o", UPSTREAM_USAGE)  # billed from the upstream's hidden usage
    assert [(r.is_stream, r.quota, r.prompt_tokens, r.completion_tokens) for r in rows] == [(True, quota, 12, 9)] * 2
    assert user_row(user.id).quota == QUOTA - 2 * quota


def test_chat_stream_with_include_usage_shows_it_once(env: RelayEnv) -> None:
    make_channel(env.fake.url, "gpt-4o")
    _, _, key = make_key(quota=QUOTA)
    chunks = list(env.openai(key).chat.completions.create(
        model="gpt-4o", messages=MESSAGES, stream=True, stream_options={"include_usage": True}))
    with_usage = [c for c in chunks if c.usage is not None]
    assert len(with_usage) == 1 and with_usage[0] is chunks[-1]
    assert with_usage[0].choices == []
    assert (with_usage[0].usage.prompt_tokens, with_usage[0].usage.completion_tokens) == (12, 9)
    lines = sse_lines(env, key, {"model": "gpt-4o", "messages": MESSAGES, "stream": True,
                                 "stream_options": {"include_usage": True}})
    assert lines.count("data: [DONE]") == 1


@pytest.mark.parametrize("size", [1, 20_000], ids=["short", "long-prompt-counted-off-loop"])
def test_stream_without_upstream_usage_is_counted_locally_and_synthesised(env: RelayEnv, size: int) -> None:
    # The fake reports no usage for the upstream model "no-usage"; the client model stays gpt-4o.
    make_channel(env.fake.url, "gpt-4o", model_mapping={"gpt-4o": "no-usage"})
    user, _, key = make_key(quota=QUOTA)
    body = {"model": "gpt-4o", "messages": [{"role": "user", "content": "Say hello " * size}]}
    prompt = token_counter.count_chat_request("gpt-4o", body)
    completion = token_counter.count_text("gpt-4o", ow.REPLY_TEXT)
    assert prompt > 0 and completion > 0
    chunks = list(env.openai(key).chat.completions.create(
        **body, stream=True, stream_options={"include_usage": True}))
    last = chunks[-1]
    assert last.choices == [] and last.usage is not None
    assert (last.usage.prompt_tokens, last.usage.completion_tokens) == (prompt, completion)
    flush()
    [row] = consume_logs(user.id)
    assert (row.model_name, row.prompt_tokens, row.completion_tokens) == ("gpt-4o", prompt, completion)
    assert row.quota == expected_quota(user, "gpt-4o", Usage(prompt, completion))


def test_completions_whole_and_streamed(env: RelayEnv) -> None:
    make_channel(env.fake.url, "gpt-3.5-turbo-instruct")
    user, _, key = make_key(quota=QUOTA)
    client = env.openai(key)
    reply = client.completions.create(model="gpt-3.5-turbo-instruct", prompt="Say hello")
    assert reply.choices[0].text == ow.REPLY_TEXT
    assert env.fake.last.path == "/v1/completions"
    pieces = list(client.completions.create(model="gpt-3.5-turbo-instruct", prompt="Say hello", stream=True))
    assert "".join(p.choices[0].text for p in pieces if p.choices) == ow.REPLY_TEXT
    flush()
    rows = consume_logs(user.id)
    quota = expected_quota(user, "gpt-3.5-turbo-instruct", UPSTREAM_USAGE)
    assert [(r.is_stream, r.quota) for r in rows] == [(False, quota), (True, quota)]


def test_embeddings(env: RelayEnv) -> None:
    make_channel(env.fake.url, "text-embedding-3-small")
    user, _, key = make_key(quota=QUOTA)
    reply = env.openai(key).embeddings.create(model="text-embedding-3-small", input=["hello", "world"])
    assert [d.embedding for d in reply.data] == [ow.EMBEDDING, ow.EMBEDDING]
    assert env.fake.last.path == "/v1/embeddings"
    assert env.fake.last.json["input"] == ["hello", "world"]
    # the old engine route takes the model from the path
    resp = httpx.post(env.url + "/v1/engines/text-embedding-3-small/embeddings", json={"input": "hi"},
                      headers={"Authorization": f"Bearer {key}"}, timeout=60)
    assert resp.status_code == 200 and resp.json()["data"][0]["embedding"] == ow.EMBEDDING
    assert env.fake.last.json["model"] == "text-embedding-3-small"
    flush()
    rows = consume_logs(user.id)
    assert [r.model_name for r in rows] == ["text-embedding-3-small"] * 2
    assert rows[0].quota == expected_quota(user, "text-embedding-3-small", Usage(ow.PROMPT_TOKENS, 0))


def test_models_list_follows_group_and_token_limits(env: RelayEnv) -> None:
    make_channel(env.fake.url, "gpt-4o,gpt-4o-mini")
    make_channel(env.fake.url, "claude-3-5-sonnet-20241022", type_=14)
    make_channel(env.fake.url, "vip-only-model", group="vip")
    _, _, key = make_key()
    models = env.openai(key).models.list()
    assert [m.id for m in models] == ["claude-3-5-sonnet-20241022", "gpt-4o", "gpt-4o-mini"]
    owners = {m.id: m.owned_by for m in models}
    assert owners["gpt-4o"] == "openai" and owners["claude-3-5-sonnet-20241022"] == "anthropic"
    assert all(m.object == "model" and m.created > 0 for m in models)

    _, _, limited = make_key(model_limits_enabled=True, model_limits="gpt-4o-mini")
    client = env.openai(limited)
    assert [m.id for m in client.models.list()] == ["gpt-4o-mini"]
    assert client.models.retrieve("gpt-4o-mini").id == "gpt-4o-mini"
    with pytest.raises(openai.NotFoundError):
        client.models.retrieve("gpt-4o")
    with pytest.raises(openai.AuthenticationError):
        env.openai("sk-" + "0" * 48).models.list()


def test_claude_channel_behind_the_openai_endpoint(env: RelayEnv) -> None:
    make_channel(env.fake.url, "claude-3-5-sonnet-20241022", type_=14, key="sk-ant-fake")
    user, _, key = make_key(quota=QUOTA)
    client = env.openai(key)
    reply = client.chat.completions.create(model="claude-3-5-sonnet-20241022", messages=MESSAGES, max_tokens=100)
    assert reply.choices[0].message.content == ow.REPLY_TEXT
    assert reply.choices[0].finish_reason == "stop"
    sent = env.fake.last
    assert sent.path == "/v1/messages"
    assert sent.headers["x-api-key"] == "sk-ant-fake"
    assert sent.json == {"model": "claude-3-5-sonnet-20241022", "messages": MESSAGES, "max_tokens": 100}

    chunks = list(client.chat.completions.create(model="claude-3-5-sonnet-20241022", messages=MESSAGES,
                                                 max_tokens=100, stream=True, stream_options={"include_usage": True}))
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == ow.REPLY_TEXT
    usage_chunks = [c for c in chunks if c.usage is not None]
    assert len(usage_chunks) == 1
    assert usage_chunks[0].usage.completion_tokens == ow.COMPLETION_TOKENS
    lines = sse_lines(env, key, {"model": "claude-3-5-sonnet-20241022", "messages": MESSAGES, "stream": True})
    assert lines.count("data: [DONE]") == 1
    assert all(orjson.loads(line[6:]).get("object") == "chat.completion.chunk" for line in lines[:-1])

    flush()
    rows = consume_logs(user.id)
    quota = expected_quota(user, "claude-3-5-sonnet-20241022",
                           Usage(ow.PROMPT_TOKENS, ow.COMPLETION_TOKENS, semantics="anthropic"))
    assert [(r.is_stream, r.quota) for r in rows] == [(False, quota), (True, quota), (True, quota)]


def test_model_mapping_bills_the_client_model(env: RelayEnv) -> None:
    make_channel(env.fake.url, "gpt-4o", model_mapping={"gpt-4o": "gpt-4o-mini"})
    user, _, key = make_key(quota=QUOTA)
    reply = env.openai(key).chat.completions.create(model="gpt-4o", messages=MESSAGES)
    assert reply.choices[0].message.content == ow.REPLY_TEXT
    assert env.fake.last.json["model"] == "gpt-4o-mini"
    flush()
    [row] = consume_logs(user.id)
    assert row.model_name == "gpt-4o"
    assert row.quota == expected_quota(user, "gpt-4o", UPSTREAM_USAGE)
    assert row.quota != expected_quota(user, "gpt-4o-mini", UPSTREAM_USAGE)
    other = log_other(row)
    assert other["upstream_model_name"] == "gpt-4o-mini" and other["is_model_mapped"] is True


def test_fixed_price_model_is_billed_per_call(env: RelayEnv) -> None:
    set_option("ModelPrice", '{"priced-model": 0.01}')
    make_channel(env.fake.url, "priced-model")
    user, _, key = make_key(quota=QUOTA)
    client = env.openai(key)
    client.chat.completions.create(model="priced-model", messages=MESSAGES)
    list(client.chat.completions.create(model="priced-model", messages=MESSAGES, stream=True))
    flush()
    assert [r.quota for r in consume_logs(user.id)] == [5000, 5000]  # $0.01 x 500000 per call
    assert user_row(user.id).quota == QUOTA - 10_000


def test_client_ip_is_logged_when_the_user_asks_for_it(env: RelayEnv) -> None:
    make_channel(env.fake.url, "gpt-4o")
    user, _, key = make_key(quota=QUOTA)
    env.openai(key).chat.completions.create(model="gpt-4o", messages=MESSAGES)
    with session_scope() as s:
        row = s.get(User, user.id)
        row.setting = orjson.dumps({"record_ip_log": True}).decode()
        s.add(row)
    invalidate_user(user.id)
    env.openai(key).chat.completions.create(model="gpt-4o", messages=MESSAGES)
    flush()
    assert [r.ip for r in consume_logs(user.id)] == ["", "127.0.0.1"]


def test_bedrock_channel_streams_through_the_pipeline(env: RelayEnv) -> None:
    """Bedrock answers in AWS's binary event-stream framing, not SSE: the pump must use the
    adaptor's own parser and count whole frames as progress."""
    from tests.fakes import bedrock_wire as bw

    make_channel(env.fake.url, "claude-3-5-haiku-20241022", type_=33, key=f"{bw.ACCESS_KEY}|{bw.SECRET_KEY}|us-east-1")
    user, _, key = make_key(quota=QUOTA)
    chunks = list(env.openai(key).chat.completions.create(
        model="claude-3-5-haiku-20241022", messages=MESSAGES, max_tokens=50, stream=True,
        stream_options={"include_usage": True}))
    assert env.fake.last.path.endswith("/invoke-with-response-stream")
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    usage = [c.usage for c in chunks if c.usage is not None]
    assert len(usage) == 1 and usage[0].completion_tokens > 0
    flush()
    rows = consume_logs(user.id)
    assert len(rows) == 1 and rows[0].is_stream and rows[0].quota > 0
