"""The official `google-genai` SDK against the live gateway's native Gemini routes, on every upstream
kind (OpenAI-compatible, Anthropic, Gemini pass-through), whole and streamed: text with a system
instruction and an image, parallel function calls, function responses, thoughts, errors in Google's
shape, countTokens, embeddings and the model list. Every call's charge is checked in the log."""

from __future__ import annotations

import base64
from collections.abc import Iterator

import httpx
import orjson
import pytest
from google import genai
from google.genai import errors, types

from backend.models.usage import Usage
from backend.relay import token_counter
from tests.fakes import gemini_wire as gw
from tests.fakes import openai_wire as ow
from tests.relay.format_grid import KINDS, PNG_B64, WEATHER_SCHEMA, Kind, grid_channel, upstream_calls
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

PLAIN = "gemini-2.5-flash"
PARALLEL = "gemini-1.5-flash"
EMBED = "text-embedding-004"
TOOLS = [types.Tool(function_declarations=[
    types.FunctionDeclaration(name="get_weather", description="Weather in a city", parameters_json_schema=WEATHER_SCHEMA),
    types.FunctionDeclaration(name="get_time", description="Time in a city", parameters_json_schema=WEATHER_SCHEMA),
])]
IMAGE_TURN = [types.Part.from_bytes(data=base64.b64decode(PNG_B64), mime_type="image/png"), "What is in this picture?"]
TOOL_ROUND = [
    types.Content(role="user", parts=[types.Part.from_text(text="Weather in Paris?")]),
    types.Content(role="model", parts=[types.Part.from_function_call(name="get_weather", args={"city": "Paris"})]),
    types.Content(role="user", parts=[types.Part.from_function_response(name="get_weather",
                                                                        response={"result": "sunny, 21 C"})]),
]
GRID = [pytest.param(kind, stream, id=f"{name}-{'stream' if stream else 'whole'}")
        for name, kind in KINDS.items() for stream in (False, True)]


@pytest.fixture
def env(sqlite_storage) -> Iterator[RelayEnv]:
    with relay_env() as e:
        yield e


def client(env: RelayEnv, key: str, version: str = "v1beta") -> genai.Client:
    return genai.Client(api_key=key, http_options=types.HttpOptions(base_url=env.url, api_version=version))


def generate(c: genai.Client, stream: bool, model: str, contents: object, **config: object) -> tuple[
        str, list[types.FunctionCall], types.GenerateContentResponse]:
    """(text, function calls, last response) of a call, whole or streamed."""
    cfg = types.GenerateContentConfig(**config) if config else None
    if not stream:
        r = c.models.generate_content(model=model, contents=contents, config=cfg)
        return r.text or "", list(r.function_calls or []), r
    chunks = list(c.models.generate_content_stream(model=model, contents=contents, config=cfg))
    text = "".join(p.text for ch in chunks for p in ch.candidates[0].content.parts or []
                   if p.text and not p.thought)
    calls = [call for ch in chunks for call in ch.function_calls or []]
    return text, calls, chunks[-1]


def one_log(user_id: int) -> object:
    flush()
    rows = consume_logs(user_id)
    assert len(rows) == 1, rows
    return rows[0]


@pytest.mark.parametrize(("kind", "stream"), GRID)
def test_text_with_system_instruction_and_image(env: RelayEnv, kind: Kind, stream: bool) -> None:
    grid_channel(env, kind, PLAIN, PARALLEL)
    user, _, key = make_key()
    text, calls, last = generate(client(env, key), stream, PLAIN, IMAGE_TURN, system_instruction="Be brief.")
    assert text == ow.REPLY_TEXT and calls == []
    assert last.candidates[0].finish_reason == types.FinishReason.STOP
    meta = last.usage_metadata
    assert (meta.prompt_token_count, meta.candidates_token_count) == (ow.PROMPT_TOKENS, ow.COMPLETION_TOKENS)
    [sent] = upstream_calls(env, kind)
    body = sent.json
    if kind.name == "openai":
        assert body["model"] == "gpt-4o" and body["messages"][0] == {"role": "system", "content": "Be brief."}
        assert {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{PNG_B64}"}} in \
            body["messages"][1]["content"]
        assert body.get("stream", False) is stream
    elif kind.name == "anthropic":
        assert body["system"] == "Be brief." and body["model"] == kind.upstream
        image = body["messages"][0]["content"][0]
        assert image == {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": PNG_B64}}
    else:
        assert "model" not in body  # the path names it
        assert body["systemInstruction"]["parts"] == [{"text": "Be brief."}]
        blob = body["contents"][0]["parts"][0]["inlineData"]  # passed through as the SDK wrote it
        assert base64.urlsafe_b64decode(blob["data"]) == base64.b64decode(PNG_B64)
        action = "streamGenerateContent" if stream else "generateContent"
        assert sent.path == f"/v1beta/models/{kind.upstream}:{action}"
        assert sent.headers["x-goog-api-key"] == "sk-upstream"
    row = one_log(user.id)
    assert (row.model_name, row.is_stream, row.prompt_tokens, row.completion_tokens) == (
        PLAIN, stream, ow.PROMPT_TOKENS, ow.COMPLETION_TOKENS)
    assert row.quota == expected_quota(user, PLAIN, kind.usage())


@pytest.mark.parametrize(("kind", "stream"), GRID)
def test_parallel_function_calls(env: RelayEnv, kind: Kind, stream: bool) -> None:
    grid_channel(env, kind, PLAIN, PARALLEL)
    user, _, key = make_key()
    text, calls, _ = generate(client(env, key), stream, PARALLEL, "Weather and time in Paris?", tools=TOOLS)
    assert [(c.name, c.args) for c in calls] == [("get_weather", {"city": "Paris"}), ("get_time", {"city": "Paris"})]
    [sent] = upstream_calls(env, kind)
    if kind.name == "openai":
        assert [t["function"]["name"] for t in sent.json["tools"]] == ["get_weather", "get_time"]
        assert sent.json["tools"][0]["function"]["parameters"] == WEATHER_SCHEMA
    elif kind.name == "anthropic":
        assert [t["name"] for t in sent.json["tools"]] == ["get_weather", "get_time"]
        assert sent.json["tools"][0]["input_schema"] == WEATHER_SCHEMA
    row = one_log(user.id)
    assert row.quota == expected_quota(user, PARALLEL, kind.usage())


@pytest.mark.parametrize(("kind", "stream"), GRID)
def test_function_response_round(env: RelayEnv, kind: Kind, stream: bool) -> None:
    grid_channel(env, kind, PLAIN, PARALLEL)
    user, _, key = make_key()
    text, calls, _ = generate(client(env, key), stream, PLAIN, TOOL_ROUND, tools=TOOLS)
    assert text == ow.REPLY_TEXT and calls == []
    [sent] = upstream_calls(env, kind)
    body = sent.json
    if kind.name == "openai":
        assistant, result = body["messages"][1], body["messages"][2]
        call_id = assistant["tool_calls"][0]["id"]
        assert assistant["tool_calls"][0]["function"]["name"] == "get_weather"
        assert result["role"] == "tool" and result["tool_call_id"] == call_id
        assert orjson.loads(result["content"]) == {"result": "sunny, 21 C"}
    elif kind.name == "anthropic":
        use = body["messages"][1]["content"][0]
        answer = body["messages"][2]["content"][0]
        assert (use["type"], use["name"], use["input"]) == ("tool_use", "get_weather", {"city": "Paris"})
        assert answer["type"] == "tool_result" and answer["tool_use_id"] == use["id"]
        assert "sunny, 21 C" in orjson.dumps(answer).decode()
    else:
        assert body["contents"][2]["parts"][0]["functionResponse"]["name"] == "get_weather"
    row = one_log(user.id)
    assert row.quota == expected_quota(user, PLAIN, kind.usage())


@pytest.mark.parametrize("stream", [False, True])
def test_thoughts_are_billed_as_output(env: RelayEnv, stream: bool) -> None:
    make_channel(env.fake.url, PLAIN, type_=KINDS["gemini"].type_id)
    user, _, key = make_key()
    thinking = types.ThinkingConfig(include_thoughts=True, thinking_budget=1024)
    text, _, last = generate(client(env, key), stream, PLAIN, "hi", thinking_config=thinking)
    assert text == ow.REPLY_TEXT and last.usage_metadata.thoughts_token_count == gw.THOUGHTS_TOKENS
    assert env.fake.last.json["generationConfig"]["thinkingConfig"] == {"include_thoughts": True,  # as sent
                                                                          "thinking_budget": 1024}
    row = one_log(user.id)
    billed = Usage(ow.PROMPT_TOKENS, ow.COMPLETION_TOKENS + gw.THOUGHTS_TOKENS)
    assert row.completion_tokens == billed.completion_tokens
    assert row.quota == expected_quota(user, PLAIN, billed)


@pytest.mark.parametrize("stream", [False, True])
def test_openai_reasoning_becomes_thought_parts(env: RelayEnv, stream: bool) -> None:
    make_channel(env.fake.url, PLAIN, model_mapping={PLAIN: "gpt-4o-reasoner"})
    _, _, key = make_key()
    c = client(env, key)
    if stream:
        parts = [p for ch in c.models.generate_content_stream(model=PLAIN, contents="hi")
                 for p in ch.candidates[0].content.parts or []]
    else:
        parts = c.models.generate_content(model=PLAIN, contents="hi").candidates[0].content.parts
    assert "".join(p.text for p in parts if p.thought) == ow.REASONING_TEXT
    assert "".join(p.text or "" for p in parts if not p.thought) == ow.REPLY_TEXT


# -- errors, keys, the v1 path ---------------------------------------------------------------------


def test_every_failure_answers_in_google_shape_and_costs_nothing(env: RelayEnv) -> None:
    make_channel(env.fake.url, f"{PLAIN},{PARALLEL}", model_mapping={PARALLEL: "fail-500"})
    user, _, key = make_key()
    _, _, poor = make_key(quota=1)
    cases = [
        ("not-a-key", PLAIN, errors.ClientError, 401, "UNAUTHENTICATED"),
        (key, "gemini-2.5-pro", errors.ServerError, 503, "UNAVAILABLE"),  # no channel
        (key, PARALLEL, errors.ServerError, 500, "INTERNAL"),  # upstream failure
        (poor, PLAIN, errors.ClientError, 403, "PERMISSION_DENIED"),
    ]
    for k, model, exc, code, status in cases:
        c = client(env, k)
        with pytest.raises(exc) as info:
            c.models.generate_content(model=model, contents="hi")
        assert (info.value.code, info.value.status) == (code, status), info.value
        assert "(request id: " in info.value.message
    for path, content, code in ((f"{PLAIN}:generateContent", b"{not json", 400), (f"{PLAIN}:frobnicate", b"{}", 404)):
        resp = httpx.post(f"{env.url}/v1beta/models/{path}", content=content, headers={"x-goog-api-key": key})
        assert resp.status_code == code and resp.json()["error"]["code"] == code
    flush()
    assert consume_logs(user.id) == [] and user_row(user.id).used_quota == 0


def test_failed_stream_ends_with_a_google_error(env: RelayEnv) -> None:
    make_channel(env.fake.url, PLAIN, model_mapping={PLAIN: "gpt-4o-stream-error"})
    _, _, key = make_key()
    resp = httpx.post(f"{env.url}/v1beta/models/{PLAIN}:streamGenerateContent?alt=sse&key={key}",
                      json={"contents": [{"role": "user", "parts": [{"text": "hi"}]}]}, timeout=60)
    last = orjson.loads(resp.text.strip().splitlines()[-1].removeprefix("data:"))
    assert last["error"]["code"] == 500 and last["error"]["status"] == "INTERNAL"
    assert "fake stream failure" in last["error"]["message"]


def test_key_by_query_or_bearer_and_the_v1_path(env: RelayEnv) -> None:
    make_channel(env.fake.url, PLAIN)
    _, _, key = make_key()
    body = {"contents": [{"role": "user", "parts": [{"text": "hi"}]}]}
    for url, headers in ((f"/v1beta/models/{PLAIN}:generateContent?key={key}", {}),
                         (f"/v1/models/{PLAIN}:generateContent", {"Authorization": f"Bearer {key}"})):
        resp = httpx.post(env.url + url, json=body, headers=headers, timeout=60)
        assert resp.status_code == 200 and resp.json()["candidates"][0]["content"]["parts"][0]["text"] == ow.REPLY_TEXT
    assert client(env, key, "v1").models.generate_content(model=PLAIN, contents="hi").text == ow.REPLY_TEXT


# -- countTokens, embeddings, models ---------------------------------------------------------------


def test_count_tokens_is_local_and_free(env: RelayEnv) -> None:
    make_channel(env.fake.url, PLAIN)
    user, _, key = make_key()
    c = client(env, key)  # held: a client nobody references is closed under its own call
    counted = c.models.count_tokens(model=PLAIN, contents="How many tokens is this?")
    body = {"contents": [{"role": "user", "parts": [{"text": "How many tokens is this?"}]}]}
    assert counted.total_tokens == token_counter.count_gemini_request(PLAIN, body) > 0
    flush()
    assert env.fake.requests == [] and consume_logs(user.id) == []


@pytest.mark.parametrize("name", ["openai", "gemini"])
def test_embeddings_batch_and_single_billed(env: RelayEnv, name: str) -> None:
    make_channel(env.fake.url, EMBED, type_=KINDS[name].type_id)
    user, _, key = make_key()
    c = client(env, key)
    result = c.models.embed_content(model=EMBED, contents=["first text", "second text"])
    assert [e.values for e in result.embeddings] == [ow.EMBEDDING, ow.EMBEDDING]
    single = httpx.post(f"{env.url}/v1beta/models/{EMBED}:embedContent", headers={"x-goog-api-key": key},
                        json={"content": {"parts": [{"text": "one text"}]}}, timeout=60)
    assert single.status_code == 200 and single.json() == {"embedding": {"values": ow.EMBEDDING}}
    sent = env.fake.requests
    if name == "openai":
        assert [r.json["input"] for r in sent] == [["first text", "second text"], ["one text"]]
        prompts = [ow.PROMPT_TOKENS, ow.PROMPT_TOKENS]  # the upstream's usage
    else:
        assert [r.path for r in sent] == [f"/v1beta/models/{EMBED}:batchEmbedContents",
                                          f"/v1beta/models/{EMBED}:embedContent"]
        prompts = [token_counter.count_text(EMBED, "first text") + token_counter.count_text(EMBED, "second text"),
                   token_counter.count_text(EMBED, "one text")]  # counted here: Gemini reports none
    flush()
    rows = consume_logs(user.id)
    assert [r.prompt_tokens for r in rows] == prompts
    assert [r.quota for r in rows] == [expected_quota(user, EMBED, Usage(p, 0)) for p in prompts]


def test_model_lists(env: RelayEnv) -> None:
    make_channel(env.fake.url, f"{PLAIN},{EMBED}")
    _, _, key = make_key()
    c = client(env, key)
    assert sorted(m.name for m in c.models.list()) == [f"models/{PLAIN}", f"models/{EMBED}"]
    assert c.models.get(model=PLAIN).display_name == PLAIN
    openai_list = httpx.get(env.url + "/v1beta/openai/models", headers={"Authorization": f"Bearer {key}"}).json()
    assert openai_list["object"] == "list" and {m["id"] for m in openai_list["data"]} == {PLAIN, EMBED}
    by_query = httpx.get(f"{env.url}/v1/models?key={key}").json()
    assert {m["name"] for m in by_query["models"]} == {f"models/{PLAIN}", f"models/{EMBED}"}


# -- billing on every database ---------------------------------------------------------------------


def test_every_upstream_kind_billed_exactly_on_each_database(storage) -> None:
    models = {"openai": PLAIN, "anthropic": PARALLEL, "gemini": "gemini-2.0-flash"}
    with relay_env() as env:
        for name, model in models.items():
            make_channel(env.fake.url, model, type_=KINDS[name].type_id, model_mapping={model: KINDS[name].upstream})
        user, _, key = make_key(quota=5_000_000, unlimited_quota=False, remain_quota=4_000_000)
        c = client(env, key)
        expected = 0
        for name, model in models.items():
            for stream in (False, True):
                assert generate(c, stream, model, "hi")[0] == ow.REPLY_TEXT
            expected += 2 * expected_quota(user, model, KINDS[name].usage())
        flush()
        rows = consume_logs(user.id)
        assert len(rows) == 6 and sum(r.quota for r in rows) == expected
        u = user_row(user.id)
        assert (u.quota, u.used_quota, u.request_count) == (5_000_000 - expected, expected, 6)
