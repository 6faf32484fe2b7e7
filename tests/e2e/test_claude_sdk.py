"""The official `anthropic` SDK against the live gateway's /v1/messages, on every upstream kind
(OpenAI-compatible, Anthropic pass-through, Gemini), whole and streamed: text with a system prompt
and an image, parallel tool calls with streamed argument deltas, tool results, thinking, cache
tokens, errors in Anthropic's shape, count_tokens and the model list. Every call's charge is
checked in the consume log."""

from __future__ import annotations

from collections.abc import Iterator

import anthropic
import httpx
import orjson
import pytest

from backend.models.usage import Usage
from backend.relay import token_counter
from tests.fakes import anthropic_wire as aw
from tests.fakes import openai_wire as ow
from tests.relay.format_grid import (
    KINDS,
    PNG_B64,
    WEATHER_SCHEMA,
    Kind,
    grid_channel,
    sse_events,
    upstream_calls,
)
from tests.relay.relay_seed import (
    RelayEnv,
    consume_logs,
    expected_quota,
    flush,
    log_other,
    make_channel,
    make_key,
    relay_env,
    user_row,
)

PLAIN = "claude-sonnet-4-5"
PARALLEL = "claude-3-5-haiku-20241022"
TOOLS = [
    {"name": "get_weather", "description": "Weather in a city", "input_schema": WEATHER_SCHEMA},
    {"name": "get_time", "description": "Time in a city", "input_schema": WEATHER_SCHEMA},
]
IMAGE_TURN = [{"role": "user", "content": [
    {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": PNG_B64}},
    {"type": "text", "text": "What is in this picture?"},
]}]
TOOL_ROUND = [
    {"role": "user", "content": "Weather in Paris?"},
    {"role": "assistant", "content": [{"type": "tool_use", "id": "toolu_01", "name": "get_weather",
                                       "input": {"city": "Paris"}}]},
    {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_01", "content": "sunny, 21 C"}]},
]
GRID = [pytest.param(kind, stream, id=f"{name}-{'stream' if stream else 'whole'}")
        for name, kind in KINDS.items() for stream in (False, True)]


@pytest.fixture
def env(sqlite_storage) -> Iterator[RelayEnv]:
    with relay_env() as e:
        yield e


def client(env: RelayEnv, key: str) -> anthropic.Anthropic:
    return anthropic.Anthropic(base_url=env.url, api_key=key, max_retries=0, timeout=60)


def call(c: anthropic.Anthropic, stream: bool, **body: object) -> tuple[anthropic.types.Message, list[str]]:
    """The whole message, and (streamed) the event types in order, pings left out."""
    body.setdefault("max_tokens", 1024)
    if not stream:
        return c.messages.create(**body), []
    with c.messages.stream(**body) as s:
        events = [e for e in s if e.type in ("message_start", "content_block_start", "content_block_delta",
                                             "content_block_stop", "message_delta", "message_stop")]
        message = s.get_final_message()
    kinds = []
    for e in events:
        if e.type == "content_block_start":
            kinds.append(f"start:{e.content_block.type}")
        elif e.type == "content_block_delta":
            kinds.append(f"delta:{e.delta.type}")
        else:
            kinds.append(e.type)
    return message, kinds


def collapse(kinds: list[str]) -> list[str]:
    """Repeated deltas counted once, so sequences compare across upstreams that split text differently."""
    return [k for i, k in enumerate(kinds) if i == 0 or k != kinds[i - 1] or not k.startswith("delta:")]


def one_log(user_id: int) -> object:
    flush()
    rows = consume_logs(user_id)
    assert len(rows) == 1, rows
    return rows[0]


@pytest.mark.parametrize(("kind", "stream"), GRID)
def test_text_with_system_prompt_and_image(env: RelayEnv, kind: Kind, stream: bool) -> None:
    grid_channel(env, kind, PLAIN, PARALLEL)
    user, _, key = make_key()
    message, events = call(client(env, key), stream, model=PLAIN, system="Be brief.", messages=IMAGE_TURN)
    assert [b.type for b in message.content] == ["text"] and message.content[0].text == ow.REPLY_TEXT
    assert (message.model, message.stop_reason, message.role) == (PLAIN, "end_turn", "assistant")
    assert (message.usage.input_tokens, message.usage.output_tokens) == (ow.PROMPT_TOKENS, ow.COMPLETION_TOKENS)
    if stream:
        assert collapse(events) == ["message_start", "start:text", "delta:text_delta", "content_block_stop",
                                    "message_delta", "message_stop"]
    [sent] = upstream_calls(env, kind)
    body = sent.json
    if kind.name == "openai":
        assert body["model"] == "gpt-4o" and body["messages"][0] == {"role": "system", "content": "Be brief."}
        parts = body["messages"][1]["content"]
        assert {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{PNG_B64}"}} in parts
    elif kind.name == "anthropic":
        assert body["system"] == "Be brief." and body["messages"] == IMAGE_TURN
        assert sent.headers["x-api-key"] == "sk-upstream"
    else:
        assert body["systemInstruction"]["parts"] == [{"text": "Be brief."}]
        assert {"inlineData": {"mimeType": "image/png", "data": PNG_B64}} in body["contents"][0]["parts"]
        assert sent.path.endswith(":streamGenerateContent" if stream else ":generateContent")
    row = one_log(user.id)
    assert (row.model_name, row.is_stream) == (PLAIN, stream)
    assert (row.prompt_tokens, row.completion_tokens) == (ow.PROMPT_TOKENS, ow.COMPLETION_TOKENS)
    assert row.quota == expected_quota(user, PLAIN, kind.usage())
    assert log_other(row).get("upstream_model_name") == (None if kind.upstream == PLAIN else kind.upstream)


@pytest.mark.parametrize(("kind", "stream"), GRID)
def test_parallel_tool_calls_with_streamed_arguments(env: RelayEnv, kind: Kind, stream: bool) -> None:
    grid_channel(env, kind, PLAIN, PARALLEL)
    user, _, key = make_key()
    message, events = call(client(env, key), stream, model=PARALLEL, tools=TOOLS,
                           messages=[{"role": "user", "content": "Weather and time in Paris?"}])
    assert message.stop_reason == "tool_use"
    calls = [b for b in message.content if b.type == "tool_use"]
    assert [(c.name, c.input) for c in calls] == [("get_weather", {"city": "Paris"}), ("get_time", {"city": "Paris"})]
    assert len({c.id for c in calls}) == 2 and all(c.id for c in calls)
    if stream:
        tool_block = ["start:tool_use", "delta:input_json_delta", "content_block_stop"]
        assert collapse(events) == ["message_start", *tool_block, *tool_block, "message_delta", "message_stop"]
    [sent] = upstream_calls(env, kind)
    if kind.name == "openai":
        assert [t["function"]["name"] for t in sent.json["tools"]] == ["get_weather", "get_time"]
        assert sent.json["tools"][0]["function"]["parameters"] == WEATHER_SCHEMA
    elif kind.name == "gemini":
        declared = sent.json["tools"][0]["functionDeclarations"]
        assert [d["name"] for d in declared] == ["get_weather", "get_time"]
    row = one_log(user.id)
    assert row.quota == expected_quota(user, PARALLEL, kind.usage()) and row.is_stream == stream


@pytest.mark.parametrize(("kind", "stream"), GRID)
def test_tool_result_round(env: RelayEnv, kind: Kind, stream: bool) -> None:
    grid_channel(env, kind, PLAIN, PARALLEL)
    user, _, key = make_key()
    message, _ = call(client(env, key), stream, model=PLAIN, tools=TOOLS[:1], messages=TOOL_ROUND)
    assert message.content[0].text == ow.REPLY_TEXT and message.stop_reason == "end_turn"
    [sent] = upstream_calls(env, kind)
    body = sent.json
    if kind.name == "openai":
        assistant, result = body["messages"][1], body["messages"][2]
        assert assistant["tool_calls"][0]["id"] == "toolu_01"
        assert orjson.loads(assistant["tool_calls"][0]["function"]["arguments"]) == {"city": "Paris"}
        assert result == {"role": "tool", "tool_call_id": "toolu_01", "content": "sunny, 21 C"}
    elif kind.name == "anthropic":
        assert body["messages"] == TOOL_ROUND
    else:
        model_turn, answer = body["contents"][1], body["contents"][2]
        assert model_turn == {"role": "model", "parts": [{"functionCall": {"name": "get_weather",
                                                                          "args": {"city": "Paris"}}}]}
        response = answer["parts"][0]["functionResponse"]
        assert response["name"] == "get_weather" and "sunny, 21 C" in orjson.dumps(response).decode()
    row = one_log(user.id)
    assert row.quota == expected_quota(user, PLAIN, kind.usage())


@pytest.mark.parametrize("stream", [False, True])
def test_reasoning_from_an_openai_upstream_becomes_a_thinking_block(env: RelayEnv, stream: bool) -> None:
    make_channel(env.fake.url, PLAIN, model_mapping={PLAIN: "gpt-4o-reasoner"})
    _, _, key = make_key()
    message, events = call(client(env, key), stream, model=PLAIN, messages=[{"role": "user", "content": "hi"}])
    assert [b.type for b in message.content] == ["thinking", "text"]
    assert message.content[0].thinking == ow.REASONING_TEXT and message.content[1].text == ow.REPLY_TEXT
    if stream:
        assert collapse(events)[1:5] == ["start:thinking", "delta:thinking_delta", "content_block_stop", "start:text"]


@pytest.mark.parametrize("stream", [False, True])
def test_thinking_passes_through_a_claude_channel(env: RelayEnv, stream: bool) -> None:
    make_channel(env.fake.url, PLAIN, type_=KINDS["anthropic"].type_id)
    _, _, key = make_key()
    message, _ = call(client(env, key), stream, model=PLAIN, max_tokens=4096,
                      thinking={"type": "enabled", "budget_tokens": 2048},
                      messages=[{"role": "user", "content": "hi"}])
    assert [b.type for b in message.content] == ["thinking", "text"]
    assert message.content[0].signature == aw.SIGNATURE
    assert env.fake.last.json["thinking"] == {"type": "enabled", "budget_tokens": 2048}


@pytest.mark.parametrize("stream", [False, True])
def test_anthropic_cache_tokens_billed_with_write_and_read_ratios(env: RelayEnv, stream: bool) -> None:
    make_channel(env.fake.url, PLAIN, type_=KINDS["anthropic"].type_id)
    user, _, key = make_key()
    system = [{"type": "text", "text": "A long shared prefix.", "cache_control": {"type": "ephemeral"}}]
    message, _ = call(client(env, key), stream, model=PLAIN, system=system,
                      messages=[{"role": "user", "content": "hi"}])
    usage = message.usage
    assert (usage.input_tokens, usage.cache_read_input_tokens, usage.cache_creation_input_tokens) == (
        ow.PROMPT_TOKENS, aw.CACHE_READ_TOKENS, aw.CACHE_CREATION_TOKENS)
    billed = Usage(ow.PROMPT_TOKENS, ow.COMPLETION_TOKENS, aw.CACHE_READ_TOKENS, aw.CACHE_CREATION_TOKENS, "anthropic")
    row = one_log(user.id)
    # 12 plain + 100 reads at 0.1 + 50 writes at 1.25 + 9 out at 5, all at claude-sonnet-4-5's 1.5
    assert row.quota == expected_quota(user, PLAIN, billed) == round((12 + 10 + 62.5 + 45) * 1.5)
    assert log_other(row)["cache_tokens"] == aw.CACHE_READ_TOKENS


@pytest.mark.parametrize("stream", [False, True])
def test_openai_cached_tokens_shown_as_cache_reads(env: RelayEnv, stream: bool) -> None:
    make_channel(env.fake.url, PLAIN, model_mapping={PLAIN: "gpt-4o-cache"})
    user, _, key = make_key()
    message, _ = call(client(env, key), stream, model=PLAIN, messages=[{"role": "user", "content": "hi"}])
    usage = message.usage
    assert (usage.input_tokens, usage.cache_read_input_tokens) == (ow.PROMPT_TOKENS - ow.CACHED_TOKENS,
                                                                  ow.CACHED_TOKENS)
    row = one_log(user.id)
    assert row.quota == expected_quota(user, PLAIN, Usage(ow.PROMPT_TOKENS, ow.COMPLETION_TOKENS, ow.CACHED_TOKENS))


# -- errors: every refusal in Anthropic's shape, nothing charged -----------------------------------


def assert_claude_error(err: anthropic.APIStatusError, status: int, kind: str) -> None:
    assert err.status_code == status
    assert err.body["type"] == "error" and err.body["error"]["type"] == kind, err.body  # type: ignore[index]
    assert "(request id: " in err.body["error"]["message"]  # type: ignore[index]


def test_every_failure_answers_in_anthropic_shape_and_costs_nothing(env: RelayEnv) -> None:
    make_channel(env.fake.url, f"{PLAIN},{PARALLEL}", model_mapping={PARALLEL: "fail-500"})
    make_channel(env.fake.url, "claude-3-haiku-20240307", type_=KINDS["anthropic"].type_id,
                 model_mapping={"claude-3-haiku-20240307": "fail-529"})
    user, _, key = make_key()
    hi = [{"role": "user", "content": "hi"}]
    cases = [
        (client(env, "sk-not-a-key"), PLAIN, anthropic.AuthenticationError, 401, "authentication_error"),
        (client(env, key), "claude-opus-4-1", anthropic.InternalServerError, 503, "overloaded_error"),  # no channel
        (client(env, key), PARALLEL, anthropic.InternalServerError, 500, "api_error"),  # upstream failure
        (client(env, key), "claude-3-haiku-20240307", anthropic.APIStatusError, 529, "overloaded_error"),
    ]
    for c, model, exc, status, kind in cases:
        with pytest.raises(exc) as info:
            c.messages.create(model=model, max_tokens=10, messages=hi)
        assert_claude_error(info.value, status, kind)
    _, _, poor = make_key(quota=1)
    with pytest.raises(anthropic.PermissionDeniedError) as info:
        client(env, poor).messages.create(model=PLAIN, max_tokens=10, messages=hi)
    assert_claude_error(info.value, 403, "permission_error")
    resp = httpx.post(env.url + "/v1/messages", content=b"{not json", headers={"x-api-key": key}, timeout=30)
    assert resp.status_code == 400 and resp.json()["error"]["type"] == "invalid_request_error"
    flush()
    assert consume_logs(user.id) == [] and user_row(user.id).used_quota == 0


def test_failed_stream_ends_with_an_anthropic_error_event(env: RelayEnv) -> None:
    make_channel(env.fake.url, PLAIN, model_mapping={PLAIN: "gpt-4o-stream-error"})
    user, _, key = make_key()
    stream = client(env, key).messages.stream(model=PLAIN, max_tokens=10, messages=[{"role": "user", "content": "hi"}])
    with pytest.raises(anthropic.APIStatusError) as info, stream as s:  # the error arrives while iterating
        list(s)
    assert info.value.body["error"]["type"] == "api_error"  # type: ignore[index]
    assert "fake stream failure" in info.value.message
    flush()
    [row] = consume_logs(user.id)  # what was produced ("Hello") is billed
    assert row.completion_tokens == token_counter.count_text(PLAIN, ow.REPLY_PIECES[0])


# -- count_tokens and the model list ---------------------------------------------------------------


def test_count_tokens_is_the_gateways_count_and_free(env: RelayEnv) -> None:
    make_channel(env.fake.url, PLAIN)
    user, _, key = make_key()
    body = {"model": PLAIN, "system": "Be brief.", "messages": TOOL_ROUND, "tools": TOOLS}
    counted = client(env, key).messages.count_tokens(**body)
    assert counted.input_tokens == token_counter.count_claude_request(PLAIN, body) > 0
    with pytest.raises(anthropic.AuthenticationError) as info:
        client(env, "sk-wrong").messages.count_tokens(**body)
    assert_claude_error(info.value, 401, "authentication_error")
    _, _, limited = make_key(model_limits_enabled=True, model_limits="gpt-4o")
    with pytest.raises(anthropic.PermissionDeniedError):
        client(env, limited).messages.count_tokens(**body)
    flush()
    assert env.fake.requests == [] and consume_logs(user.id) == []


def test_model_list_in_anthropic_shape(env: RelayEnv) -> None:
    make_channel(env.fake.url, f"{PLAIN},{PARALLEL}")
    _, _, key = make_key()
    models = list(client(env, key).models.list())
    assert sorted(m.id for m in models) == sorted([PLAIN, PARALLEL])
    assert all(m.type == "model" and m.display_name == m.id for m in models), models
    bearer = httpx.get(env.url + "/v1/models", headers={"Authorization": f"Bearer {key}"}, timeout=30).json()
    assert bearer["object"] == "list"  # OpenAI clients keep OpenAI's shape


# -- billing on every database ---------------------------------------------------------------------


def test_every_upstream_kind_billed_exactly_on_each_database(storage) -> None:
    models = {"openai": PLAIN, "anthropic": PARALLEL, "gemini": "claude-sonnet-4-20250514"}
    with relay_env() as env:
        for name, model in models.items():
            make_channel(env.fake.url, model, type_=KINDS[name].type_id, model_mapping={model: KINDS[name].upstream})
        user, _, key = make_key(quota=5_000_000, unlimited_quota=False, remain_quota=4_000_000)
        c = client(env, key)
        expected = 0
        for name, model in models.items():
            for stream in (False, True):
                message, _ = call(c, stream, model=model, messages=[{"role": "user", "content": "hi"}])
                assert message.content[0].text == ow.REPLY_TEXT
            expected += 2 * expected_quota(user, model, KINDS[name].usage())
        flush()
        rows = consume_logs(user.id)
        assert len(rows) == 6 and sum(r.quota for r in rows) == expected
        u = user_row(user.id)
        assert (u.quota, u.used_quota, u.request_count) == (5_000_000 - expected, expected, 6)


def test_x_api_key_and_raw_event_frames(env: RelayEnv) -> None:
    """Claude Code's way in: `x-api-key` + `anthropic-version`; each frame's `event:` names its data's type."""
    make_channel(env.fake.url, PLAIN)
    _, _, key = make_key()
    headers = {"x-api-key": key, "anthropic-version": "2023-06-01"}
    body = {"model": PLAIN, "max_tokens": 10, "stream": True, "messages": [{"role": "user", "content": "hi"}]}
    frames = list(sse_events(env.url + "/v1/messages", body, headers))
    assert all(name == data["type"] for name, data in frames)
    assert frames[0][0] == "message_start" and frames[-1][0] == "message_stop"
    assert frames[-2][1]["delta"]["stop_reason"] == "end_turn"
    assert frames[-2][1]["usage"]["output_tokens"] == ow.COMPLETION_TOKENS
