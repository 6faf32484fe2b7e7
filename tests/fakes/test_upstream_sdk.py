"""The fake upstream must speak the real wire formats: the official SDKs, pointed straight at it,
parse every reply (whole and streamed) into their typed objects."""

from __future__ import annotations

import anthropic
import openai
import pytest

from tests.fakes import anthropic_wire as aw
from tests.fakes import gemini_wire as gw
from tests.fakes import openai_wire as ow
from tests.fakes.upstream import fake_upstream  # noqa: F401 - fixture

TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "get_weather",
            "description": "Weather by city",
            "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
        },
    }
]


@pytest.fixture
def oai(fake_upstream):  # noqa: F811
    return openai.OpenAI(api_key="sk-fake", base_url=fake_upstream.url + "/v1", max_retries=0)


@pytest.fixture
def claude(fake_upstream):  # noqa: F811
    return anthropic.Anthropic(api_key="sk-ant-fake", base_url=fake_upstream.url, max_retries=0)


def test_openai_chat_whole(oai, fake_upstream):  # noqa: F811
    resp = oai.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "hi"}])
    assert resp.choices[0].message.content == ow.REPLY_TEXT
    assert resp.choices[0].finish_reason == "stop"
    assert resp.usage.prompt_tokens == ow.PROMPT_TOKENS
    assert resp.usage.completion_tokens == ow.COMPLETION_TOKENS
    assert fake_upstream.last.path == "/v1/chat/completions"
    assert fake_upstream.last.headers["authorization"] == "Bearer sk-fake"
    assert fake_upstream.last.json["messages"] == [{"role": "user", "content": "hi"}]


def test_openai_chat_stream_with_and_without_usage(oai):
    chunks = list(
        oai.chat.completions.create(
            model="gpt-4o",
            messages=[{"role": "user", "content": "hi"}],
            stream=True,
            stream_options={"include_usage": True},
        )
    )
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == ow.REPLY_TEXT
    assert chunks[-1].choices == []
    assert chunks[-1].usage.total_tokens == ow.PROMPT_TOKENS + ow.COMPLETION_TOKENS

    plain = list(
        oai.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "hi"}], stream=True)
    )
    assert all(c.usage is None for c in plain)
    assert plain[-1].choices[0].finish_reason == "stop"


def test_openai_tool_call_stream_accumulates(oai):
    stream = oai.chat.completions.create(
        model="gpt-4o", messages=[{"role": "user", "content": "weather?"}], tools=TOOLS, stream=True
    )
    name, args, finish = "", "", None
    for chunk in stream:
        for call in chunk.choices[0].delta.tool_calls or []:
            name += call.function.name or ""
            args += call.function.arguments or ""
        finish = chunk.choices[0].finish_reason or finish
    assert (name, args, finish) == ("get_weather", ow.TOOL_ARGUMENTS, "tool_calls")


def test_openai_completions_embeddings_models(oai, fake_upstream):  # noqa: F811
    comp = oai.completions.create(model="gpt-3.5-turbo-instruct", prompt="say hi")
    assert comp.choices[0].text == ow.REPLY_TEXT
    streamed = "".join(
        c.choices[0].text for c in oai.completions.create(model="x", prompt="p", stream=True) if c.choices
    )
    assert streamed == ow.REPLY_TEXT
    emb = oai.embeddings.create(model="text-embedding-3-small", input=["a", "b"])
    assert [d.index for d in emb.data] == [0, 1]
    assert emb.data[0].embedding == ow.EMBEDDING
    assert emb.usage.prompt_tokens == ow.PROMPT_TOKENS
    assert [m.id for m in oai.models.list()] == ["gpt-4o", "gpt-4o-mini", "text-embedding-3-small"]


def test_openai_responses(oai):
    resp = oai.responses.create(model="gpt-4o", input="hi")
    assert resp.output_text == ow.REPLY_TEXT
    assert resp.usage.input_tokens == ow.PROMPT_TOKENS
    events = list(oai.responses.create(model="gpt-4o", input="hi", stream=True))
    assert events[-1].type == "response.completed"
    assert "".join(e.delta for e in events if e.type == "response.output_text.delta") == ow.REPLY_TEXT


@pytest.mark.parametrize(
    ("model", "exc", "status"),
    [
        ("fail-429", openai.RateLimitError, 429),
        ("fail-401", openai.AuthenticationError, 401),
        ("fail-500", openai.InternalServerError, 500),
        ("fail-503-plain", openai.InternalServerError, 503),
    ],
)
def test_openai_failure_modes(oai, model, exc, status):
    with pytest.raises(exc) as info:
        oai.chat.completions.create(model=model, messages=[{"role": "user", "content": "hi"}])
    assert info.value.status_code == status
    body = info.value.body
    if model.endswith("-plain"):
        assert body == {"message": f"fake failure {status}"}
    else:
        assert body["message"] == f"fake failure {status}"


def test_openai_rejects_what_openai_rejects(oai):
    with pytest.raises(openai.BadRequestError, match="stream_options"):
        oai.chat.completions.create(
            model="gpt-4o",
            messages=[{"role": "user", "content": "hi"}],
            stream_options={"include_usage": True},
        )
    with pytest.raises(openai.BadRequestError, match="max_completion_tokens"):
        oai.chat.completions.create(model="o1", messages=[{"role": "user", "content": "hi"}], max_tokens=5)


def test_claude_message_whole(claude, fake_upstream):  # noqa: F811
    msg = claude.messages.create(
        model="claude-3-5-sonnet", max_tokens=100, messages=[{"role": "user", "content": "hi"}]
    )
    assert msg.content[0].type == "text"
    assert msg.content[0].text == ow.REPLY_TEXT
    assert msg.stop_reason == "end_turn"
    assert msg.usage.input_tokens == ow.PROMPT_TOKENS
    assert msg.usage.output_tokens == ow.COMPLETION_TOKENS
    # this SDK generation authenticates with a Bearer token, not x-api-key
    assert fake_upstream.last.headers["authorization"] == "Bearer sk-ant-fake"
    assert fake_upstream.last.headers["anthropic-version"]


def test_claude_stream_thinking_tools_and_cache(claude):
    with claude.messages.stream(
        model="claude-sonnet-4",
        max_tokens=4096,
        thinking={"type": "enabled", "budget_tokens": 2048},
        system=[{"type": "text", "text": "sys", "cache_control": {"type": "ephemeral"}}],
        tools=[{"name": "get_weather", "input_schema": {"type": "object", "properties": {}}}],
        messages=[{"role": "user", "content": "weather?"}],
    ) as stream:
        final = stream.get_final_message()
    kinds = [b.type for b in final.content]
    assert kinds == ["thinking", "tool_use"]
    assert final.content[0].thinking == ow.REASONING_TEXT
    assert final.content[0].signature == aw.SIGNATURE
    assert final.content[1].input == aw.TOOL_INPUT
    assert final.stop_reason == "tool_use"
    assert final.usage.cache_read_input_tokens == aw.CACHE_READ_TOKENS
    assert final.usage.cache_creation_input_tokens == aw.CACHE_CREATION_TOKENS
    assert final.usage.output_tokens == ow.COMPLETION_TOKENS


def test_claude_text_stream(claude):
    with claude.messages.stream(
        model="claude-3-5-haiku", max_tokens=50, messages=[{"role": "user", "content": "hi"}]
    ) as stream:
        text = "".join(stream.text_stream)
    assert text == ow.REPLY_TEXT


def test_claude_errors_and_validation(claude):
    with pytest.raises(anthropic.RateLimitError) as info:
        claude.messages.create(model="fail-429", max_tokens=10, messages=[{"role": "user", "content": "hi"}])
    assert info.value.body["error"]["type"] == "rate_limit_error"
    with pytest.raises(anthropic.BadRequestError, match="alternate"):
        claude.messages.create(
            model="claude-3-5-haiku",
            max_tokens=10,
            messages=[{"role": "user", "content": "a"}, {"role": "user", "content": "b"}],
        )
    with pytest.raises(anthropic.BadRequestError, match="budget_tokens"):
        claude.messages.create(
            model="claude-sonnet-4",
            max_tokens=1000,
            thinking={"type": "enabled", "budget_tokens": 2000},
            messages=[{"role": "user", "content": "a"}],
        )


def test_claude_stream_error_event(claude):
    with (
        pytest.raises(anthropic.APIStatusError, match="Overloaded"),
        claude.messages.stream(
            model="stream-error", max_tokens=10, messages=[{"role": "user", "content": "hi"}]
        ) as stream,
    ):
        stream.get_final_message()


def test_scripted_failures_and_key_failures(oai, fake_upstream):  # noqa: F811
    fake_upstream.queue_failure(500)
    with pytest.raises(openai.InternalServerError):
        oai.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "hi"}])
    ok = oai.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "hi"}])
    assert ok.choices[0].message.content == ow.REPLY_TEXT
    fake_upstream.fail_keys["sk-fake"] = 401
    with pytest.raises(openai.AuthenticationError):
        oai.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "hi"}])
    assert len(fake_upstream.requests) == 3


# -- Gemini (google-genai) ------------------------------------------------------------------------


@pytest.fixture
def gemini(fake_upstream):  # noqa: F811
    from google import genai
    from google.genai import types

    return genai.Client(api_key="g-key", http_options=types.HttpOptions(base_url=fake_upstream.url))


def test_gemini_generate_and_stream(gemini, fake_upstream):  # noqa: F811
    from google.genai import types

    resp = gemini.models.generate_content(model="gemini-2.5-flash", contents="hi")
    assert resp.text == ow.REPLY_TEXT
    assert resp.usage_metadata.prompt_token_count == ow.PROMPT_TOKENS
    # this SDK generation calls /v1/models/...; older ones and new-api use /v1beta
    assert fake_upstream.last.path.endswith("/models/gemini-2.5-flash:generateContent")
    assert fake_upstream.last.headers["x-goog-api-key"] == "g-key"
    text = "".join(
        c.text or "" for c in gemini.models.generate_content_stream(model="gemini-2.5-flash", contents="hi")
    )
    assert text == ow.REPLY_TEXT
    assert fake_upstream.last.query == {"alt": "sse"}
    thinking = gemini.models.generate_content(
        model="gemini-2.5-flash",
        contents="hi",
        config=types.GenerateContentConfig(thinking_config=types.ThinkingConfig(include_thoughts=True)),
    )
    parts = thinking.candidates[0].content.parts
    assert parts[0].thought is True
    assert thinking.usage_metadata.thoughts_token_count == gw.THOUGHTS_TOKENS


def test_gemini_function_call_embeddings_and_errors(gemini):
    from google.genai import errors, types

    tool = types.Tool(
        function_declarations=[
            types.FunctionDeclaration(
                name="get_weather",
                parameters=types.Schema(type="OBJECT", properties={"city": types.Schema(type="STRING")}),
            )
        ]
    )
    resp = gemini.models.generate_content(
        model="gemini-2.5-flash", contents="weather?", config=types.GenerateContentConfig(tools=[tool])
    )
    assert resp.function_calls[0].name == "get_weather"
    assert resp.function_calls[0].args == gw.TOOL_ARGS
    emb = gemini.models.embed_content(model="text-embedding-004", contents=["a", "b"])
    assert len(emb.embeddings) == 2
    with pytest.raises(errors.ClientError) as info:
        gemini.models.generate_content(model="fail-429", contents="hi")
    assert info.value.code == 429


# -- media and utility endpoints ------------------------------------------------------------------


def test_images_audio_moderations(oai, fake_upstream):  # noqa: F811
    from tests.fakes import openai_extra as ox

    img = oai.images.generate(model="dall-e-3", prompt="a cat", n=2)
    assert [d.url for d in img.data] == [ox.IMAGE_URL, ox.IMAGE_URL]
    b64 = oai.images.generate(model="gpt-image-1", prompt="a cat", response_format="b64_json")
    assert b64.data[0].b64_json == ox.IMAGE_B64
    assert b64.usage.total_tokens == 110
    speech = oai.audio.speech.create(model="tts-1", voice="alloy", input="hello")
    assert speech.content == ox.SPEECH_BYTES + b"hello"
    text = oai.audio.transcriptions.create(model="whisper-1", file=("a.wav", b"RIFF....", "audio/wav"))
    assert text.text == ow.REPLY_TEXT
    assert b'name="model"' in fake_upstream.last.body and b"whisper-1" in fake_upstream.last.body
    plain = oai.audio.transcriptions.create(
        model="whisper-1", file=("a.wav", b"RIFF", "audio/wav"), response_format="text"
    )
    assert plain == ow.REPLY_TEXT
    mod = oai.moderations.create(input=["a", "b"])
    assert len(mod.results) == 2 and mod.results[0].flagged is False
    with pytest.raises(openai.RateLimitError):
        oai.audio.transcriptions.create(model="fail-429", file=("a.wav", b"RIFF", "audio/wav"))


def test_rerank_and_hang(fake_upstream):  # noqa: F811
    import httpx

    with httpx.Client(base_url=fake_upstream.url, headers={"Authorization": "Bearer k"}) as client:
        resp = client.post(
            "/v1/rerank",
            json={"model": "jina-reranker-v2", "query": "q", "documents": ["a", "b", "c"], "top_n": 2},
        )
        assert [r["index"] for r in resp.json()["results"]] == [0, 1]
        assert resp.json()["usage"]["total_tokens"] == ow.PROMPT_TOKENS
        # a hanging upstream never answers: only the client's own timeout ends the wait
        with pytest.raises(httpx.ReadTimeout):
            client.post(
                "/v1/chat/completions",
                json={"model": "hang", "messages": [{"role": "user", "content": "x"}]},
                timeout=0.3,
            )
        body = {"model": "hang-stream", "messages": [{"role": "user", "content": "x"}], "stream": True}
        with client.stream("POST", "/v1/chat/completions", json=body, timeout=0.3) as stream:
            lines = stream.iter_lines()
            assert next(lines).startswith("data: ")
            with pytest.raises(httpx.ReadTimeout):
                for _ in lines:
                    pass
