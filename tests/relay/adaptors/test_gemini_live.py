"""The Gemini adaptor against the fake Gemini API: URLs, auth, conversions both ways."""

from __future__ import annotations

import orjson
import pytest
from openai.types import CreateEmbeddingResponse
from openai.types.chat import ChatCompletion

from backend.models.usage import Usage
from backend.relay.adaptors import RelayFormat
from backend.relay.adaptors.gemini import GeminiAdaptor, api_version, native_action
from backend.relay.sse import SSEParser
from tests.fakes import gemini_wire as gw
from tests.fakes import openai_wire as ow
from tests.fakes.upstream import FakeUpstream
from tests.relay.adaptors.adaptor_helpers import adaptor, channel, meta, openai_chunks, run

F = RelayFormat
HI = [{"role": "system", "content": "sys"}, {"role": "user", "content": "hi"}]


@pytest.fixture(scope="module")
def _server():
    with FakeUpstream() as fake:
        yield fake


@pytest.fixture
def fake(_server, sqlite_storage):
    _server.reset()
    return _server


def gem(fake, **kw):
    return channel(24, fake.url, **kw)


def test_registry_and_helpers():
    assert type(adaptor(channel(24))) is GeminiAdaptor
    assert api_version("gemini-1.0-pro", "") == "v1"
    assert api_version("gemini-2.5-flash", "") == "v1beta"
    assert api_version("gemini-2.5-flash", "v1alpha") == "v1alpha"
    assert native_action("/v1beta/models/gemini-2.0-flash:streamGenerateContent") == "streamGenerateContent"


def test_default_base_url(sqlite_storage):
    req = adaptor(channel(24), meta(model="gemini-2.0-flash")).build_request(
        {"model": "gemini-2.0-flash", "messages": HI}
    )
    assert (
        req.url == "https://generativelanguage.googleapis.com/v1beta/models/gemini-2.0-flash:generateContent"
    )
    assert req.headers["x-goog-api-key"] == "sk-chan"
    assert "Authorization" not in req.headers


def test_chat_whole(fake):
    r = run(adaptor(gem(fake), meta(model="gemini-2.0-flash")), {"model": "gemini-2.0-flash", "messages": HI})
    assert fake.last.path == "/v1beta/models/gemini-2.0-flash:generateContent"
    assert fake.last.headers["x-goog-api-key"] == "sk-chan"
    assert fake.last.json["systemInstruction"] == {"parts": [{"text": "sys"}]}
    completion = ChatCompletion.model_validate_json(r.body)
    assert completion.choices[0].message.content == ow.REPLY_TEXT
    assert completion.model == "gemini-2.0-flash"
    assert r.usage == Usage(ow.PROMPT_TOKENS, ow.COMPLETION_TOKENS)


def test_chat_stream_with_thinking_suffix(fake):
    from backend.services import options

    options.update("gemini.thinking_adapter_enabled", "true")
    m = meta(model="gemini-2.5-flash-thinking-2000", stream=True, include_usage=True)
    a = adaptor(gem(fake), m)
    r = run(a, {"model": "gemini-2.5-flash-thinking-2000", "messages": HI, "stream": True})
    assert fake.last.path == "/v1beta/models/gemini-2.5-flash:streamGenerateContent"
    assert fake.last.query == {"alt": "sse"}
    assert fake.last.json["generationConfig"]["thinkingConfig"] == {
        "thinkingBudget": 2000,
        "includeThoughts": True,
    }
    chunks, done = openai_chunks(r.frames)
    assert done
    content = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    reasoning = "".join(
        (c.choices[0].delta.model_extra or {}).get("reasoning_content", "") for c in chunks if c.choices
    )
    assert (content, reasoning) == (ow.REPLY_TEXT, ow.REASONING_TEXT)
    finishes = [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason]
    assert finishes == ["stop"]
    assert chunks[-1].usage.completion_tokens == ow.COMPLETION_TOKENS + gw.THOUGHTS_TOKENS
    assert r.usage == Usage(ow.PROMPT_TOKENS, ow.COMPLETION_TOKENS + gw.THOUGHTS_TOKENS)


def test_tool_call_round(fake):
    tools = [{"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "additionalProperties": False}}}]  # fmt: skip
    r = run(
        adaptor(gem(fake), meta(model="gemini-2.0-flash")),
        {"model": "gemini-2.0-flash", "messages": HI, "tools": tools},
    )
    call = ChatCompletion.model_validate_json(r.body).choices[0].message.tool_calls[0]
    assert orjson.loads(call.function.arguments) == gw.TOOL_ARGS
    followup = [*HI, {"role": "assistant", "content": None, "tool_calls": [call.model_dump()]},
                {"role": "tool", "tool_call_id": call.id, "content": "sunny"}]  # fmt: skip
    r = run(
        adaptor(gem(fake), meta(model="gemini-2.0-flash")),
        {"model": "gemini-2.0-flash", "messages": followup, "tools": tools},
    )
    assert fake.last.json["contents"][-1]["parts"][0]["functionResponse"]["name"] == "get_weather"
    assert ChatCompletion.model_validate_json(r.body).choices[0].message.content == ow.REPLY_TEXT


def test_blocked_prompt_is_a_400(fake):
    r = run(adaptor(gem(fake), meta(model="blocked")), {"model": "blocked", "messages": HI})
    assert (r.error.status_code, r.error.code) == (400, "gemini_no_candidates")


def test_errors_in_google_shape(fake):
    r = run(adaptor(gem(fake), meta(model="fail-429")), {"model": "fail-429", "messages": HI})
    assert (r.status, r.error.message, r.error.type) == (429, "fake failure 429", "RESOURCE_EXHAUSTED")


def test_embeddings(fake):
    a = adaptor(gem(fake), meta(F.OPENAI_EMBEDDINGS, "text-embedding-004"))
    r = run(a, {"model": "text-embedding-004", "input": ["a", "b"]})
    assert fake.last.path == "/v1beta/models/text-embedding-004:batchEmbedContents"
    emb = CreateEmbeddingResponse.model_validate_json(r.body)
    assert [d.index for d in emb.data] == [0, 1]
    assert r.usage is None  # Gemini reports none: counted locally


def test_native_passthrough_stream(fake):
    from backend.services import options

    options.update("gemini.thinking_adapter_enabled", "true")
    m = meta(
        F.GEMINI,
        "gemini-2.5-flash-nothinking",
        stream=True,
        path="/v1beta/models/gemini-2.5-flash-nothinking:streamGenerateContent",
    )
    body = {"contents": [{"role": "user", "parts": [{"text": "hi"}]}]}
    r = run(adaptor(gem(fake), m), body)
    assert fake.last.path == "/v1beta/models/gemini-2.5-flash:streamGenerateContent"
    assert fake.last.json["generationConfig"] == {"thinkingConfig": {"thinkingBudget": 0}}
    parser = SSEParser()
    events = [e.json() for f in r.frames for e in parser.feed(f)]
    assert "".join(e["candidates"][0]["content"]["parts"][0]["text"] for e in events) == ow.REPLY_TEXT
    assert not parser.done  # native Gemini streams carry no [DONE]
    assert r.usage == Usage(ow.PROMPT_TOKENS, ow.COMPLETION_TOKENS)
    assert r.text == ow.REPLY_TEXT


def test_native_passthrough_whole(fake):
    m = meta(F.GEMINI, "gemini-2.0-flash", path="/v1beta/models/gemini-2.0-flash:generateContent")
    r = run(adaptor(gem(fake, other="v1"), m), {"contents": [{"role": "user", "parts": [{"text": "hi"}]}]})
    assert fake.last.path == "/v1/models/gemini-2.0-flash:generateContent"
    assert orjson.loads(r.body)["candidates"][0]["content"]["parts"][0]["text"] == ow.REPLY_TEXT
    assert r.usage == Usage(ow.PROMPT_TOKENS, ow.COMPLETION_TOKENS)


def test_claude_client_whole(fake):
    from anthropic.types import Message

    m = meta(F.CLAUDE_MESSAGES, "claude-alias", upstream="gemini-2.0-flash")
    body = {
        "model": "claude-alias",
        "max_tokens": 50,
        "system": "sys",
        "messages": [{"role": "user", "content": "hi"}],
    }
    r = run(adaptor(gem(fake), m), body)
    assert fake.last.json["systemInstruction"] == {"parts": [{"text": "sys"}]}
    assert fake.last.json["generationConfig"]["maxOutputTokens"] == 50
    msg = Message.model_validate_json(r.body)
    assert (msg.model, msg.content[0].text, msg.stop_reason) == ("claude-alias", ow.REPLY_TEXT, "end_turn")
    assert msg.usage.input_tokens == ow.PROMPT_TOKENS


def test_claude_client_stream_with_tools(fake):
    from tests.relay.adaptors.adaptor_helpers import claude_message

    m = meta(F.CLAUDE_MESSAGES, "claude-alias", upstream="gemini-2.0-flash", stream=True)
    body = {
        "model": "claude-alias",
        "max_tokens": 50,
        "stream": True,
        "messages": [{"role": "user", "content": "weather?"}],
        "tools": [
            {
                "name": "get_weather",
                "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}},
            }
        ],
    }
    r = run(adaptor(gem(fake), m), body)
    assert fake.last.path == "/v1beta/models/gemini-2.0-flash:streamGenerateContent"
    msg = claude_message(r.frames)
    assert msg.content[0].type == "tool_use"
    assert (msg.content[0].name, msg.content[0].input) == ("get_weather", gw.TOOL_ARGS)
    assert msg.stop_reason == "tool_use"
    assert r.usage == Usage(ow.PROMPT_TOKENS, ow.COMPLETION_TOKENS)
    assert r.text == "get_weather" + orjson.dumps(gw.TOOL_ARGS).decode()


# -- native Gemini clients on OpenAI-format and Claude channels -------------------------------------

GEMINI_BODY = {
    "systemInstruction": {"parts": [{"text": "sys"}]},
    "contents": [{"role": "user", "parts": [{"text": "hi"}]}],
    "generationConfig": {"maxOutputTokens": 100},
}


def _genai_chunks(frames):
    from google.genai import types

    parser = SSEParser()
    return [
        types.GenerateContentResponse.model_validate(e.json()) for f in frames for e in parser.feed(f)
    ], parser


@pytest.mark.parametrize("type_id", [1, 14])
def test_gemini_client_whole_on_other_channels(fake, type_id):
    from google.genai import types

    m = meta(
        F.GEMINI, "gemini-alias", upstream="up-model", path="/v1beta/models/gemini-alias:generateContent"
    )
    r = run(adaptor(channel(type_id, fake.url), m), GEMINI_BODY)
    sent = fake.last.json
    if type_id == 1:
        assert sent["messages"] == [{"role": "system", "content": "sys"}, {"role": "user", "content": "hi"}]
        assert sent["max_tokens"] == 100
    else:
        assert (sent["system"], sent["max_tokens"]) == ("sys", 100)
    parsed = types.GenerateContentResponse.model_validate_json(r.body)
    assert parsed.text == ow.REPLY_TEXT
    assert parsed.usage_metadata.prompt_token_count == ow.PROMPT_TOKENS
    assert parsed.model_version == "gemini-alias"


@pytest.mark.parametrize("type_id", [1, 14])
def test_gemini_client_stream_on_other_channels(fake, type_id):
    m = meta(F.GEMINI, "gemini-alias", upstream="up-model", stream=True,
             path="/v1beta/models/gemini-alias:streamGenerateContent")  # fmt: skip
    body = {**GEMINI_BODY, "tools": [{"functionDeclarations": [{"name": "get_weather", "parameters": {"type": "OBJECT", "properties": {"city": {"type": "STRING"}}}}]}]}  # fmt: skip
    r = run(adaptor(channel(type_id, fake.url), m), body)
    assert fake.last.json["stream"] is True
    chunks, parser = _genai_chunks(r.frames)
    assert not parser.done
    call = chunks[-1].candidates[0].content.parts[0].function_call
    assert (call.name, call.args) == ("get_weather", {"city": "Paris"})
    assert chunks[-1].usage_metadata.candidates_token_count == ow.COMPLETION_TOKENS
    assert r.usage is not None and r.usage.completion_tokens == ow.COMPLETION_TOKENS


def test_imagen_images(fake):
    from openai.types import ImagesResponse

    from tests.fakes import openai_extra as ox

    a = adaptor(gem(fake), meta(F.OPENAI_IMAGES, "imagen-3.0-generate-002"))
    r = run(a, {"model": "imagen-3.0-generate-002", "prompt": "a cat", "n": 2, "size": "1792x1024"})
    assert fake.last.path == "/v1beta/models/imagen-3.0-generate-002:predict"
    assert fake.last.json == {
        "instances": [{"prompt": "a cat"}],
        "parameters": {"sampleCount": 2, "aspectRatio": "16:9"},
    }
    images = ImagesResponse.model_validate_json(r.body)
    assert [d.b64_json for d in images.data] == [ox.IMAGE_B64, ox.IMAGE_B64]
    assert r.usage is None  # images are priced per call
    blocked = run(
        adaptor(gem(fake), meta(F.OPENAI_IMAGES, "imagen-blocked")),
        {"model": "imagen-blocked", "prompt": "x"},
    )
    assert (blocked.error.status_code, blocked.error.code) == (400, "gemini_no_candidates")
