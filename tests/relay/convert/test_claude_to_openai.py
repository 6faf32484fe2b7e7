"""Claude -> OpenAI: replies and streams (Claude channel, OpenAI client), and requests
(a /v1/messages client sent to an OpenAI-format channel). Replies are checked against the
openai SDK's own types."""

from __future__ import annotations

import pytest
from openai.types.chat import ChatCompletion, ChatCompletionChunk

from backend.models.usage import Usage
from backend.relay.convert.claude_openai import (
    ClaudeToOpenAIStream,
    claude_to_openai_request,
    claude_to_openai_response,
)

CLAUDE_REPLY = {
    "id": "msg_1",
    "type": "message",
    "role": "assistant",
    "model": "claude-sonnet-4",
    "content": [
        {"type": "thinking", "thinking": "hmm", "signature": "sig"},
        {"type": "text", "text": "Hello"},
        {"type": "tool_use", "id": "toolu_1", "name": "get_weather", "input": {"city": "Paris"}},
    ],
    "stop_reason": "tool_use",
    "stop_sequence": None,
    "usage": {
        "input_tokens": 10,
        "output_tokens": 5,
        "cache_read_input_tokens": 100,
        "cache_creation_input_tokens": 20,
    },
}


def test_reply_fields_and_usage():
    out, usage, text = claude_to_openai_response(CLAUDE_REPLY)
    ChatCompletion.model_validate(out)
    msg = out["choices"][0]["message"]
    assert msg["content"] == "Hello"
    assert msg["reasoning_content"] == "hmm"
    assert msg["tool_calls"] == [
        {
            "id": "toolu_1",
            "type": "function",
            "function": {"name": "get_weather", "arguments": '{"city":"Paris"}'},
        }
    ]
    assert out["choices"][0]["finish_reason"] == "tool_calls"
    # billing: anthropic semantics, input excludes the cache tokens
    assert usage == Usage(10, 5, 100, 20, "anthropic")
    # the client sees OpenAI semantics: prompt includes every input token
    assert out["usage"] == {
        "prompt_tokens": 130,
        "completion_tokens": 5,
        "total_tokens": 135,
        "prompt_tokens_details": {"cached_tokens": 100},
    }
    assert text == 'hmmHelloget_weather{"city":"Paris"}'


@pytest.mark.parametrize(
    ("stop", "finish"),
    [
        ("end_turn", "stop"),
        ("stop_sequence", "stop"),
        ("max_tokens", "length"),
        ("tool_use", "tool_calls"),
        ("refusal", "content_filter"),
        (None, "stop"),
    ],
)
def test_stop_reasons(stop, finish):
    out, _, _ = claude_to_openai_response({**CLAUDE_REPLY, "stop_reason": stop, "content": []})
    assert out["choices"][0]["finish_reason"] == finish
    assert out["choices"][0]["message"]["content"] == ""


def test_tool_only_reply_has_null_content():
    reply = {**CLAUDE_REPLY, "content": [CLAUDE_REPLY["content"][2]]}
    out, _, _ = claude_to_openai_response(reply)
    assert out["choices"][0]["message"]["content"] is None
    ChatCompletion.model_validate(out)


def test_missing_usage_is_none():
    _, usage, _ = claude_to_openai_response(
        {**CLAUDE_REPLY, "usage": {"input_tokens": 0, "output_tokens": 0}}
    )
    assert usage is None


STREAM = [
    {
        "type": "message_start",
        "message": {
            "id": "msg_1",
            "model": "claude-sonnet-4",
            "usage": {"input_tokens": 10, "output_tokens": 1, "cache_read_input_tokens": 3},
        },
    },
    {"type": "ping"},
    {"type": "content_block_start", "index": 0, "content_block": {"type": "thinking", "thinking": ""}},
    {"type": "content_block_delta", "index": 0, "delta": {"type": "thinking_delta", "thinking": "hmm"}},
    {"type": "content_block_delta", "index": 0, "delta": {"type": "signature_delta", "signature": "s"}},
    {"type": "content_block_stop", "index": 0},
    {"type": "content_block_start", "index": 1, "content_block": {"type": "text", "text": ""}},
    {"type": "content_block_delta", "index": 1, "delta": {"type": "text_delta", "text": "Hi"}},
    {"type": "content_block_stop", "index": 1},
    {
        "type": "content_block_start",
        "index": 2,
        "content_block": {"type": "tool_use", "id": "t1", "name": "f", "input": {}},
    },
    {
        "type": "content_block_delta",
        "index": 2,
        "delta": {"type": "input_json_delta", "partial_json": '{"a"'},
    },
    {"type": "content_block_delta", "index": 2, "delta": {"type": "input_json_delta", "partial_json": ":1}"}},
    {"type": "content_block_stop", "index": 2},
    {
        "type": "content_block_start",
        "index": 3,
        "content_block": {"type": "tool_use", "id": "t2", "name": "g", "input": {}},
    },
    {"type": "content_block_delta", "index": 3, "delta": {"type": "input_json_delta", "partial_json": "{}"}},
    {"type": "content_block_stop", "index": 3},
    {"type": "message_delta", "delta": {"stop_reason": "tool_use"}, "usage": {"output_tokens": 42}},
    {"type": "message_stop"},
]


def test_stream_to_chunks():
    conv = ClaudeToOpenAIStream()
    chunks = [c for event in STREAM for c in conv.feed(event)]
    for chunk in chunks:
        ChatCompletionChunk.model_validate(chunk)
    deltas = [c["choices"][0]["delta"] for c in chunks]
    assert deltas[0] == {"role": "assistant", "content": ""}
    assert {"reasoning_content": "hmm"} in deltas
    assert {"content": "Hi"} in deltas
    calls = [d["tool_calls"][0] for d in deltas if "tool_calls" in d]
    assert calls == [
        {"index": 0, "id": "t1", "type": "function", "function": {"name": "f", "arguments": ""}},
        {"index": 0, "function": {"arguments": '{"a"'}},
        {"index": 0, "function": {"arguments": ":1}"}},
        {"index": 1, "id": "t2", "type": "function", "function": {"name": "g", "arguments": ""}},
        {"index": 1, "function": {"arguments": "{}"}},
    ]
    assert chunks[-1]["choices"][0]["finish_reason"] == "tool_calls"
    assert {c["id"] for c in chunks} == {"msg_1"}
    assert conv.usage == Usage(10, 42, 3, 0, "anthropic")


def test_stream_error_event():
    conv = ClaudeToOpenAIStream()
    assert conv.feed({"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}) == []
    assert conv.error == {"type": "overloaded_error", "message": "Overloaded"}


# -- request: Claude Messages in, OpenAI chat out ----------------------------------------------


def test_request_system_images_tools():
    req = {
        "model": "claude-x",
        "max_tokens": 100,
        "system": [{"type": "text", "text": "one"}, {"type": "text", "text": "two"}],
        "stop_sequences": ["END"],
        "stream": True,
        "temperature": 0.5,
        "top_k": 5,
        "metadata": {"user_id": "u1"},
        "messages": [
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "look"},
                    {
                        "type": "image",
                        "source": {"type": "base64", "media_type": "image/jpeg", "data": "AAA"},
                    },
                ],
            },
            {
                "role": "assistant",
                "content": [
                    {"type": "text", "text": "calling"},
                    {"type": "tool_use", "id": "tu1", "name": "f", "input": {"q": 1}},
                ],
            },
            {
                "role": "user",
                "content": [
                    {
                        "type": "tool_result",
                        "tool_use_id": "tu1",
                        "content": [{"type": "text", "text": "42"}],
                    },
                    {"type": "text", "text": "so?"},
                ],
            },
        ],
        "tools": [
            {"name": "f", "description": "d", "input_schema": {"type": "object"}},
            {"type": "web_search_20250305", "name": "web_search"},
        ],
        "tool_choice": {"type": "any", "disable_parallel_tool_use": True},
    }
    out = claude_to_openai_request(req, "gpt-4o")
    assert out["model"] == "gpt-4o"
    assert out["max_tokens"] == 100
    assert out["stop"] == ["END"]
    assert out["stream"] is True
    assert out["temperature"] == 0.5
    assert "top_k" not in out
    assert out["user"] == "u1"
    assert out["messages"] == [
        {"role": "system", "content": "one\ntwo"},
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "look"},
                {"type": "image_url", "image_url": {"url": "data:image/jpeg;base64,AAA"}},
            ],
        },
        {
            "role": "assistant",
            "content": "calling",
            "tool_calls": [
                {"id": "tu1", "type": "function", "function": {"name": "f", "arguments": '{"q":1}'}}
            ],
        },
        {"role": "tool", "tool_call_id": "tu1", "content": "42"},
        {"role": "user", "content": "so?"},
    ]
    assert out["tools"] == [
        {"type": "function", "function": {"name": "f", "parameters": {"type": "object"}, "description": "d"}}
    ]
    assert out["tool_choice"] == "required"
    assert out["parallel_tool_calls"] is False


@pytest.mark.parametrize(
    ("choice", "expected"),
    [
        ({"type": "auto"}, "auto"),
        ({"type": "none"}, "none"),
        ({"type": "tool", "name": "f"}, {"type": "function", "function": {"name": "f"}}),
    ],
)
def test_request_tool_choice(choice, expected):
    req = {
        "max_tokens": 5,
        "messages": [{"role": "user", "content": "x"}],
        "tools": [{"name": "f"}],
        "tool_choice": choice,
    }
    assert claude_to_openai_request(req, "m")["tool_choice"] == expected


def test_request_thinking_maps_to_effort_only_for_reasoning_models():
    base = {"max_tokens": 5000, "messages": [{"role": "user", "content": "x"}]}
    req = {**base, "thinking": {"type": "enabled", "budget_tokens": 4000}}
    assert claude_to_openai_request(req, "o3-mini")["reasoning_effort"] == "high"
    assert "reasoning_effort" not in claude_to_openai_request(req, "gpt-4o")
    low = {**base, "thinking": {"type": "enabled", "budget_tokens": 1024}}
    assert claude_to_openai_request(low, "o4-mini")["reasoning_effort"] == "low"


def test_request_url_image_and_string_content():
    req = {
        "max_tokens": 5,
        "system": "plain system",
        "messages": [
            {
                "role": "user",
                "content": [{"type": "image", "source": {"type": "url", "url": "https://x/y.png"}}],
            },
            {"role": "assistant", "content": "ok"},
        ],
    }
    out = claude_to_openai_request(req, "m")
    assert out["messages"] == [
        {"role": "system", "content": "plain system"},
        {"role": "user", "content": [{"type": "image_url", "image_url": {"url": "https://x/y.png"}}]},
        {"role": "assistant", "content": "ok"},
    ]
