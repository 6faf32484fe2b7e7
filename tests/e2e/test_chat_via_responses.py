"""/v1/chat/completions on Responses-only upstream models, through the official `openai` SDK: a
`*-codex` model on an OpenAI channel, a Codex channel (type 57), and new-api's
`global.chat_completions_to_responses_policy` on any OpenAI-family channel. Whole and streamed
replies, tools (definitions, parallel calls, streamed argument deltas, results), reasoning, stop
reasons, usage with cached and reasoning tokens, exact charges."""

from __future__ import annotations

from collections.abc import Iterator

import openai
import orjson
import pytest

from backend.models.usage import Usage
from tests.fakes import openai_wire as ow
from tests.fakes import responses_wire as rw
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
    wait_until,
)

CODEX_KEY = '{"access_token":"codex-token","account_id":"acct-1"}'
TOOLS = [{"type": "function", "function": {"name": "get_weather", "description": "Weather for a city",
                                           "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}}]
MESSAGES = [{"role": "system", "content": "Answer briefly."}, {"role": "user", "content": "Say hello"}]


@pytest.fixture
def env(sqlite_storage) -> Iterator[RelayEnv]:
    with relay_env() as e:
        yield e


def _codex_model(env: RelayEnv, suffix: str = "") -> tuple[openai.OpenAI, int]:
    """An OpenAI channel whose gpt-4o maps to a Responses-only model (the mode rides on its name)."""
    make_channel(env.fake.url, "gpt-4o", model_mapping={"gpt-4o": "gpt-5-codex" + suffix})
    user, _, key = make_key()
    return env.openai(key), user.id


def _charged(user_id: int, n: int) -> list[tuple[int, int, int]]:
    def settled() -> bool:
        flush()
        return len(consume_logs(user_id)) >= n

    wait_until(settled, f"{n} consume log rows")
    return [(r.prompt_tokens, r.completion_tokens, r.quota) for r in consume_logs(user_id)]


def test_codex_model_whole_and_streamed(env: RelayEnv) -> None:
    client, user_id = _codex_model(env)
    resp = client.chat.completions.create(model="gpt-4o", messages=MESSAGES, max_tokens=100)
    sent = env.fake.last
    assert sent.path == "/v1/responses" and sent.json["model"] == "gpt-5-codex"
    assert sent.json["instructions"] == "Answer briefly." and sent.json["max_output_tokens"] == 100
    assert sent.json["input"] == [{"type": "message", "role": "user", "content": "Say hello"}]
    assert resp.choices[0].message.content == ow.REPLY_TEXT and resp.choices[0].finish_reason == "stop"
    assert resp.model == "gpt-4o" and resp.object == "chat.completion"
    assert (resp.usage.prompt_tokens, resp.usage.completion_tokens) == (ow.PROMPT_TOKENS, ow.COMPLETION_TOKENS)

    chunks = list(client.chat.completions.create(model="gpt-4o", messages=MESSAGES, stream=True,
                                                 stream_options={"include_usage": True}))
    assert chunks[0].choices[0].delta.role == "assistant"
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == ow.REPLY_TEXT
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "stop"
    assert chunks[-1].choices == [] and chunks[-1].usage.completion_tokens == ow.COMPLETION_TOKENS
    plain = list(client.chat.completions.create(model="gpt-4o", messages=MESSAGES, stream=True))
    assert all(c.usage is None for c in plain)  # no usage chunk unless asked for
    q = expected_quota(user_row(user_id), "gpt-4o", Usage(ow.PROMPT_TOKENS, ow.COMPLETION_TOKENS))
    assert _charged(user_id, 3) == [(ow.PROMPT_TOKENS, ow.COMPLETION_TOKENS, q)] * 3


@pytest.mark.parametrize("stream", [False, True], ids=["whole", "stream"])
def test_parallel_tool_calls_and_their_results(env: RelayEnv, stream: bool) -> None:
    client, _ = _codex_model(env, "-parallel")
    messages = [{"role": "user", "content": "Weather in Paris and Lyon?"}]
    if stream:
        chunks = list(client.chat.completions.create(model="gpt-4o", messages=messages, tools=TOOLS, stream=True))
        calls: dict[int, dict] = {}
        for chunk in chunks:
            for call in (chunk.choices[0].delta.tool_calls or []) if chunk.choices else []:
                entry = calls.setdefault(call.index, {"id": call.id, "name": call.function.name, "args": ""})
                entry["args"] += call.function.arguments or ""
        pieces = sum(1 for c in chunks if c.choices and c.choices[0].delta.tool_calls)
        assert pieces > 2  # the arguments arrived as deltas, not in one piece
        finish = [c.choices[0].finish_reason for c in chunks if c.choices][-1]
        got = [(v["id"], v["name"], orjson.loads(v["args"])) for _, v in sorted(calls.items())]
    else:
        msg = client.chat.completions.create(model="gpt-4o", messages=messages, tools=TOOLS).choices[0]
        finish = msg.finish_reason
        got = [(c.id, c.function.name, orjson.loads(c.function.arguments)) for c in msg.message.tool_calls]
    assert finish == "tool_calls"
    assert got == [("call_fake_1", "get_weather", {"city": "Paris"}), ("call_fake_2", "get_weather", {"city": "Paris"})]
    assert env.fake.last.json["tools"] == [{"type": "function", "name": "get_weather",
                                            "description": "Weather for a city",
                                            "parameters": TOOLS[0]["function"]["parameters"]}]

    follow_up = [*messages, {"role": "assistant", "content": None, "tool_calls": [
        {"id": cid, "type": "function", "function": {"name": name, "arguments": orjson.dumps(args).decode()}}
        for cid, name, args in got]},
        {"role": "tool", "tool_call_id": "call_fake_1", "content": "21C"},
        {"role": "tool", "tool_call_id": "call_fake_2", "content": "19C"}]
    reply = client.chat.completions.create(model="gpt-4o", messages=follow_up, tools=TOOLS)
    sent = env.fake.last.json["input"]
    assert [i["type"] for i in sent] == ["message", "function_call", "function_call", "function_call_output",
                                         "function_call_output"]
    assert sent[3] == {"type": "function_call_output", "call_id": "call_fake_1", "output": "21C"}
    assert reply.choices[0].message.content == ow.REPLY_TEXT


def test_images_reasoning_cache_and_length(env: RelayEnv) -> None:
    client, user_id = _codex_model(env, "-reason-cache-length")
    image = "data:image/png;base64,iVBORw0KGgo="
    resp = client.chat.completions.create(model="gpt-4o", reasoning_effort="high", messages=[{"role": "user", "content": [
        {"type": "text", "text": "What is this?"}, {"type": "image_url", "image_url": {"url": image}}]}])
    sent = env.fake.last.json
    assert sent["input"][0]["content"][1] == {"type": "input_image", "image_url": image, "detail": "auto"}
    assert sent["reasoning"]["effort"] == "high"
    choice = resp.choices[0]
    assert choice.finish_reason == "length" and choice.message.reasoning_content == ow.REASONING_TEXT  # type: ignore[attr-defined]
    assert resp.usage.prompt_tokens_details.cached_tokens == ow.CACHED_TOKENS
    assert resp.usage.completion_tokens_details.reasoning_tokens == rw.REASONING_TOKENS
    chunks = list(client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "x"}],
                                                 stream=True))
    reasoning = "".join(getattr(c.choices[0].delta, "reasoning_content", None) or "" for c in chunks if c.choices)
    assert reasoning == ow.REASONING_TEXT
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "length"
    q = expected_quota(user_row(user_id), "gpt-4o", Usage(ow.PROMPT_TOKENS, ow.COMPLETION_TOKENS, ow.CACHED_TOKENS))
    assert _charged(user_id, 2) == [(ow.PROMPT_TOKENS, ow.COMPLETION_TOKENS, q)] * 2


def test_codex_channel_serves_chat_clients(env: RelayEnv) -> None:
    make_channel(env.fake.url, "gpt-4o", type_=57, key=CODEX_KEY)
    user, _, key = make_key()
    client = env.openai(key)
    resp = client.chat.completions.create(model="gpt-4o", messages=MESSAGES, temperature=0.3)
    sent = env.fake.last
    assert sent.path == "/backend-api/codex/responses" and sent.json["stream"] is True
    assert "temperature" not in sent.json and sent.json["store"] is False
    assert resp.choices[0].message.content == ow.REPLY_TEXT
    text = "".join(c.choices[0].delta.content or "" for c in
                   client.chat.completions.create(model="gpt-4o", messages=MESSAGES, stream=True) if c.choices)
    assert text == ow.REPLY_TEXT
    assert len(_charged(user.id, 2)) == 2


def test_policy_option_routes_chat_through_responses(env: RelayEnv) -> None:
    """new-api's policy: enabled, channel listed by type, model matched by a pattern. A model the
    patterns do not match keeps Chat Completions."""
    make_channel(env.fake.url, "gpt-4o,gpt-4o-mini")
    user, _, key = make_key()
    client = env.openai(key)
    client.chat.completions.create(model="gpt-4o", messages=MESSAGES)
    assert env.fake.last.path == "/v1/chat/completions"
    set_option("global.chat_completions_to_responses_policy",
               '{"enabled":true,"channel_types":[1],"model_patterns":["^gpt-4o$"]}')
    assert client.chat.completions.create(model="gpt-4o", messages=MESSAGES).choices[0].message.content == ow.REPLY_TEXT
    assert env.fake.last.path == "/v1/responses"
    client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    assert env.fake.last.path == "/v1/chat/completions"


def test_failures_cost_nothing_and_unconvertible_requests_are_400(env: RelayEnv) -> None:
    client, user_id = _codex_model(env, "-fail-500")
    with pytest.raises(openai.InternalServerError):
        client.chat.completions.create(model="gpt-4o", messages=MESSAGES)
    with pytest.raises(openai.InternalServerError):
        list(client.chat.completions.create(model="gpt-4o", messages=MESSAGES, stream=True))
    calls = len(env.fake.requests)
    with pytest.raises(openai.BadRequestError) as info:
        client.chat.completions.create(model="gpt-4o", messages=MESSAGES, n=2)
    assert "n > 1" in info.value.message and len(env.fake.requests) == calls
    flush()
    assert consume_logs(user_id) == []


def test_stream_error_midway_ends_with_an_error_chunk(env: RelayEnv) -> None:
    client, user_id = _codex_model(env, "-stream-error")
    with pytest.raises(openai.APIError) as info:
        list(client.chat.completions.create(model="gpt-4o", messages=MESSAGES, stream=True))
    assert "fake stream failure" in info.value.message
    [(_, completion, _)] = _charged(user_id, 1)
    assert completion > 0
