"""Adaptors against the fake upstream over real HTTP: the built request is what the provider
accepts, and what comes back (whole or streamed) is what the client's SDK parses."""

from __future__ import annotations

import orjson
import pytest
from anthropic.types import Message
from openai.types import CreateEmbeddingResponse
from openai.types.chat import ChatCompletion

from backend.models.usage import Usage
from backend.relay.adaptors import RelayFormat
from tests.fakes import anthropic_wire as aw
from tests.fakes import openai_wire as ow
from tests.fakes.upstream import FakeUpstream
from tests.relay.adaptors.adaptor_helpers import adaptor, channel, claude_message, meta, openai_chunks, run

F = RelayFormat
HI = [{"role": "user", "content": "hi"}]
TOOLS = [
    {
        "type": "function",
        "function": {"name": "get_weather", "parameters": {"type": "object", "properties": {}}},
    }
]


@pytest.fixture(scope="module")
def _server():
    with FakeUpstream() as fake:
        yield fake


@pytest.fixture
def fake_upstream(_server):
    _server.reset()
    return _server


def ch(fake, type_id: int = 1, **kw):
    return channel(type_id, fake.url, **kw)


# -- OpenAI channel, OpenAI client ----------------------------------------------------------------


def test_openai_whole_passes_through(fake_upstream):
    r = run(adaptor(ch(fake_upstream)), {"model": "gpt-4o", "messages": HI})
    assert ChatCompletion.model_validate_json(r.body).choices[0].message.content == ow.REPLY_TEXT
    assert r.usage == Usage(ow.PROMPT_TOKENS, ow.COMPLETION_TOKENS)
    assert r.text == ow.REPLY_TEXT
    assert fake_upstream.last.path == "/v1/chat/completions"
    assert fake_upstream.last.headers["authorization"] == "Bearer sk-chan"


@pytest.mark.parametrize("client_wants_usage", [False, True])
def test_openai_stream_usage_forced_and_hidden_unless_asked(fake_upstream, client_wants_usage):
    body = {"model": "gpt-4o", "messages": HI, "stream": True}
    if client_wants_usage:
        body["stream_options"] = {"include_usage": True}
    r = run(adaptor(ch(fake_upstream), meta(stream=True, include_usage=client_wants_usage)), body)
    assert fake_upstream.last.json["stream_options"] == {"include_usage": True}
    chunks, done = openai_chunks(r.frames)
    assert done
    assert r.frames.count(b"data: [DONE]\n\n") == 1
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == ow.REPLY_TEXT
    usage_chunks = [c for c in chunks if c.usage is not None]
    assert r.usage == Usage(ow.PROMPT_TOKENS, ow.COMPLETION_TOKENS)
    if client_wants_usage:
        assert len(usage_chunks) == 1 and usage_chunks[0].usage.prompt_tokens == ow.PROMPT_TOKENS
    else:
        assert usage_chunks == []


def test_usage_chunk_made_up_when_provider_gives_none(fake_upstream):
    body = {
        "model": "mistral-large",
        "messages": HI,
        "stream": True,
        "stream_options": {"include_usage": True},
    }
    r = run(
        adaptor(ch(fake_upstream, 42), meta(model="mistral-large", stream=True, include_usage=True)), body
    )
    assert "stream_options" not in fake_upstream.last.json  # Mistral channels do not get it
    assert r.usage is None
    chunks, _ = openai_chunks(r.frames)
    assert chunks[-1].choices == []
    assert (chunks[-1].usage.prompt_tokens, chunks[-1].usage.completion_tokens) == (5, 6)


def test_usage_on_finish_chunk_is_read(fake_upstream):
    r = run(
        adaptor(ch(fake_upstream, 42), meta(model="usage-last", stream=True)),
        {"model": "usage-last", "messages": HI, "stream": True},
    )
    assert r.usage == Usage(ow.PROMPT_TOKENS, ow.COMPLETION_TOKENS)


def test_thinking_to_content(fake_upstream):
    a = adaptor(
        ch(fake_upstream, 43, setting={"thinking_to_content": True}),
        meta(model="deepseek-reasoner", stream=True),
    )
    r = run(a, {"model": "deepseek-reasoner", "messages": HI, "stream": True})
    chunks, _ = openai_chunks(r.frames)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == f"<think>\n{ow.REASONING_TEXT}\n</think>\n{ow.REPLY_TEXT}"
    assert all("reasoning_content" not in (c.choices[0].delta.model_extra or {}) for c in chunks if c.choices)


def test_tool_call_stream_counts_for_fallback(fake_upstream):
    r = run(
        adaptor(ch(fake_upstream), meta(stream=True)),
        {"model": "gpt-4o", "messages": HI, "tools": TOOLS, "stream": True},
    )
    assert r.text == "get_weather" + ow.TOOL_ARGUMENTS
    chunks, _ = openai_chunks(r.frames)
    assert chunks[-1].choices[0].finish_reason == "tool_calls"


def test_malformed_stream_event_is_skipped(fake_upstream):
    r = run(
        adaptor(ch(fake_upstream), meta(model="bad-json", stream=True)),
        {"model": "bad-json", "messages": HI, "stream": True},
    )
    chunks, done = openai_chunks(r.frames)
    assert done
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == ow.REPLY_TEXT


def test_unreadable_whole_body_is_an_upstream_error(fake_upstream):
    r = run(adaptor(ch(fake_upstream), meta(model="bad-json")), {"model": "bad-json", "messages": HI})
    assert r.error is not None and r.error.code == "bad_response_body" and r.error.status_code == 500


def test_error_event_inside_stream(fake_upstream):
    r = run(
        adaptor(ch(fake_upstream), meta(model="stream-error", stream=True)),
        {"model": "stream-error", "messages": HI, "stream": True},
    )
    assert r.stream_error is not None
    assert r.stream_error.message == "fake stream failure"


@pytest.mark.parametrize(
    ("model", "status", "message"),
    [
        ("fail-429", 429, "fake failure 429"),
        ("fail-500-plain", 500, "fake failure 500"),
        ("fail-502-empty", 502, "bad response status code 502"),
        ("fail-502-text", 502, "bad response status code 502"),
    ],
)
def test_upstream_failures(fake_upstream, model, status, message):
    r = run(adaptor(ch(fake_upstream), meta(model=model)), {"model": model, "messages": HI})
    assert (r.status, r.error.status_code, r.error.message) == (status, status, message)


def test_azure_against_fake(fake_upstream):
    r = run(
        adaptor(ch(fake_upstream, 3, other="2024-10-21"), meta(model="gpt-4.1")),
        {"model": "gpt-4.1", "messages": HI},
    )
    assert fake_upstream.last.path == "/openai/deployments/gpt-41/chat/completions"
    assert fake_upstream.last.query == {"api-version": "2024-10-21"}
    assert fake_upstream.last.headers["api-key"] == "sk-chan"
    assert r.usage is not None


def test_ollama_embeddings(fake_upstream):
    a = adaptor(ch(fake_upstream, 4), meta(F.OPENAI_EMBEDDINGS, "nomic-embed-text"))
    r = run(a, {"model": "nomic-embed-text", "input": ["a", "b"]})
    assert fake_upstream.last.path == "/api/embed"
    assert fake_upstream.last.json == {"model": "nomic-embed-text", "input": ["a", "b"]}
    emb = CreateEmbeddingResponse.model_validate_json(r.body)
    assert [d.index for d in emb.data] == [0, 1]
    assert r.usage == Usage(ow.PROMPT_TOKENS, 0)


def test_responses_stream_passthrough(fake_upstream):
    a = adaptor(ch(fake_upstream), meta(F.OPENAI_RESPONSES, stream=True))
    r = run(a, {"model": "gpt-4o", "input": "hi", "stream": True})
    assert r.usage == Usage(ow.PROMPT_TOKENS, ow.COMPLETION_TOKENS)
    assert r.text == ow.REPLY_TEXT
    assert r.frames[0].startswith(b"event: response.created\ndata: ")
    assert not any(b"[DONE]" in f for f in r.frames)


# -- Anthropic channel ----------------------------------------------------------------------------


def test_claude_channel_openai_client_whole(fake_upstream, sqlite_storage):
    msgs = [{"role": "system", "content": "s", "cache_control": {"type": "ephemeral"}}, *HI]
    a = adaptor(ch(fake_upstream, 14), meta(model="claude-sonnet-4"))
    r = run(
        a,
        {
            "model": "claude-sonnet-4",
            "messages": msgs + [{"role": "user", "content": "more"}],
            "tools": TOOLS,
        },
    )
    sent = fake_upstream.last.json
    assert fake_upstream.last.path == "/v1/messages"
    assert sent["messages"] == [{"role": "user", "content": "hi more"}]
    completion = ChatCompletion.model_validate_json(r.body)
    assert completion.choices[0].finish_reason == "tool_calls"
    assert orjson.loads(completion.choices[0].message.tool_calls[0].function.arguments) == aw.TOOL_INPUT
    assert r.usage == Usage(ow.PROMPT_TOKENS, ow.COMPLETION_TOKENS, 0, 0, "anthropic")


def test_claude_channel_openai_client_stream_thinking(fake_upstream, sqlite_storage):
    a = adaptor(ch(fake_upstream, 14), meta(model="claude-cache-thinking", stream=True, include_usage=True))
    r = run(a, {"model": "claude-cache-thinking", "messages": HI, "stream": True, "max_tokens": 4000})
    assert fake_upstream.last.json["thinking"] == {"type": "enabled", "budget_tokens": 3200}
    chunks, done = openai_chunks(r.frames)
    assert done
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == ow.REPLY_TEXT
    reasoning = "".join(
        (c.choices[0].delta.model_extra or {}).get("reasoning_content", "") for c in chunks if c.choices
    )
    assert reasoning == ow.REASONING_TEXT
    assert r.usage == Usage(
        ow.PROMPT_TOKENS, ow.COMPLETION_TOKENS, aw.CACHE_READ_TOKENS, aw.CACHE_CREATION_TOKENS, "anthropic"
    )
    final = chunks[-1]
    assert final.choices == []
    assert final.usage.prompt_tokens == ow.PROMPT_TOKENS + aw.CACHE_READ_TOKENS + aw.CACHE_CREATION_TOKENS
    assert final.usage.prompt_tokens_details.cached_tokens == aw.CACHE_READ_TOKENS


def test_claude_channel_claude_client_stream_passthrough(fake_upstream, sqlite_storage):
    body = {"model": "claude-sonnet-4", "max_tokens": 50, "messages": HI, "stream": True,
            "tools": [{"name": "get_weather", "input_schema": {"type": "object"}}]}  # fmt: skip
    r = run(adaptor(ch(fake_upstream, 14), meta(F.CLAUDE_MESSAGES, "claude-sonnet-4", stream=True)), body)
    msg = claude_message(r.frames)
    assert msg.content[0].input == aw.TOOL_INPUT
    assert r.usage == Usage(ow.PROMPT_TOKENS, ow.COMPLETION_TOKENS, 0, 0, "anthropic")
    assert r.text == "get_weather" + ow.TOOL_ARGUMENTS


def test_claude_channel_claude_client_whole_and_errors(fake_upstream, sqlite_storage):
    a = adaptor(ch(fake_upstream, 14), meta(F.CLAUDE_MESSAGES, "claude-3-5-haiku"))
    r = run(a, {"model": "claude-3-5-haiku", "max_tokens": 10, "messages": HI})
    assert Message.model_validate_json(r.body).content[0].text == ow.REPLY_TEXT
    assert r.usage == Usage(ow.PROMPT_TOKENS, ow.COMPLETION_TOKENS, 0, 0, "anthropic")
    a = adaptor(ch(fake_upstream, 14), meta(F.CLAUDE_MESSAGES, "fail-529"))
    r = run(a, {"model": "fail-529", "max_tokens": 10, "messages": HI})
    assert r.error.claude_error() == {
        "type": "error",
        "error": {"type": "overloaded_error", "message": "fake failure 529"},
    }


def test_claude_stream_error_event(fake_upstream, sqlite_storage):
    a = adaptor(ch(fake_upstream, 14), meta(model="stream-error", stream=True))
    r = run(a, {"model": "stream-error", "messages": HI, "stream": True})
    assert r.stream_error is not None and r.stream_error.type == "overloaded_error"


# -- OpenAI channel, Claude client ---------------------------------------------------------------


def test_openai_channel_claude_client_whole(fake_upstream):
    a = adaptor(ch(fake_upstream), meta(F.CLAUDE_MESSAGES, "claude-alias", upstream="gpt-4o"))
    r = run(a, {"model": "claude-alias", "max_tokens": 20, "system": "sys", "messages": HI})
    assert fake_upstream.last.json["messages"] == [{"role": "system", "content": "sys"}, *HI]
    msg = Message.model_validate_json(r.body)
    assert msg.model == "claude-alias"
    assert msg.content[0].text == ow.REPLY_TEXT
    assert msg.usage.input_tokens == ow.PROMPT_TOKENS


def test_openai_channel_claude_client_stream(fake_upstream):
    m = meta(F.CLAUDE_MESSAGES, "claude-alias", upstream="deepseek-reasoner", stream=True, prompt_tokens=11)
    body = {"model": "claude-alias", "max_tokens": 20, "messages": HI, "stream": True}
    r = run(adaptor(ch(fake_upstream, 43), m), body)
    assert fake_upstream.last.json["stream_options"] == {"include_usage": True}
    msg = claude_message(r.frames)
    assert [b.type for b in msg.content] == ["thinking", "text"]
    assert msg.content[1].text == ow.REPLY_TEXT
    assert msg.usage.output_tokens == ow.COMPLETION_TOKENS
    assert msg.stop_reason == "end_turn"


# -- media pass-through ------------------------------------------------------------------------------


def test_images_speech_and_rerank_pass_through(fake_upstream):
    from tests.fakes import openai_extra as ox

    r = run(
        adaptor(ch(fake_upstream), meta(F.OPENAI_IMAGES, "gpt-image-1")),
        {"model": "gpt-image-1", "prompt": "cat"},
    )
    assert orjson.loads(r.body)["data"][0]["url"] == ox.IMAGE_URL
    assert r.usage == Usage(10, 100)
    a = adaptor(ch(fake_upstream), meta(F.OPENAI_AUDIO_SPEECH, "tts-1", upstream="tts-1-hd"))
    req = a.build_request({"model": "tts-1", "voice": "alloy", "input": "hello"})
    import httpx

    resp = httpx.post(req.url, headers=req.headers, content=req.body)
    out = a.parse_response(resp.content, resp.headers["content-type"])
    assert (out.body, out.content_type, out.usage) == (ox.SPEECH_BYTES + b"hello", "audio/mpeg", None)
    assert fake_upstream.last.json["model"] == "tts-1-hd"
    r = run(
        adaptor(ch(fake_upstream, 38), meta(F.RERANK, "jina-reranker")),
        {"model": "jina-reranker", "query": "q", "documents": ["a"]},
    )
    assert r.usage == Usage(ow.PROMPT_TOKENS, 0)


def test_multipart_forwarded_unchanged(fake_upstream):
    import httpx

    form = httpx.Request(
        "POST", "http://x", data={"model": "whisper-1"}, files={"file": ("a.wav", b"RIFF", "audio/wav")}
    )
    raw, content_type = form.read(), form.headers["content-type"]
    a = adaptor(ch(fake_upstream), meta(F.OPENAI_AUDIO_TRANSCRIPTIONS, "whisper-1"))
    req = a.build_raw_request(raw, content_type)
    assert req.url == fake_upstream.url + "/v1/audio/transcriptions"
    assert req.headers["Content-Type"] == content_type
    resp = httpx.post(req.url, headers=req.headers, content=req.body)
    assert fake_upstream.last.body == raw
    out = a.parse_response(resp.content, resp.headers["content-type"])
    assert orjson.loads(out.body) == {"text": ow.REPLY_TEXT}
    assert out.completion_text == ""


def test_multipart_model_mapping(fake_upstream):
    import httpx

    form = httpx.Request(
        "POST", "http://x", data={"model": "stt"}, files={"file": ("a.wav", b"RIFF", "audio/wav")}
    )
    raw, content_type = form.read(), form.headers["content-type"]
    a = adaptor(ch(fake_upstream), meta(F.OPENAI_AUDIO_TRANSCRIPTIONS, "stt", upstream="whisper-1"))
    req = a.build_raw_request(raw, content_type)
    httpx.post(req.url, headers=req.headers, content=req.body)
    assert b'name="model"\r\n\r\nwhisper-1\r\n' in fake_upstream.last.body
    assert b"stt" not in fake_upstream.last.body
