"""OpenAI -> Gemini requests and Gemini -> OpenAI replies (reference §9)."""

from __future__ import annotations

import pytest
from openai.types.chat import ChatCompletion, ChatCompletionChunk

from backend.models.usage import Usage
from backend.relay.convert.gemini_openai import (
    GeminiToOpenAIStream,
    gemini_embeddings_to_openai,
    gemini_to_openai_response,
    gemini_usage,
    no_candidates_status,
)
from backend.relay.convert.openai_gemini import (
    GeminiOptions,
    clean_schema,
    openai_to_gemini_embeddings,
    openai_to_gemini_request,
    thinking_config,
)

ON = GeminiOptions(thinking_adapter=True)


def test_messages_roles_system_and_tools():
    req = {
        "messages": [
            {"role": "system", "content": "a"},
            {"role": "developer", "content": [{"type": "text", "text": "b"}]},
            {"role": "user", "content": [{"type": "text", "text": "see"}, {"type": "image_url", "image_url": {"url": "data:image/png;base64,QUJD"}}]},
            {"role": "assistant", "content": None, "tool_calls": [
                {"id": "c1", "type": "function", "function": {"name": "f", "arguments": '{"x":1}'}},
                {"id": "c2", "type": "function", "function": {"name": "g", "arguments": "{}"}},
            ]},
            {"role": "tool", "tool_call_id": "c1", "content": '{"ok":true}'},
            {"role": "tool", "tool_call_id": "c2", "content": "plain"},
            {"role": "assistant", "content": "done"},
        ]
    }  # fmt: skip
    out, model = openai_to_gemini_request(req, "gemini-2.0-flash")
    assert model == "gemini-2.0-flash"
    assert out["systemInstruction"] == {"parts": [{"text": "a\nb"}]}
    assert out["contents"] == [
        {"role": "user", "parts": [{"text": "see"}, {"inlineData": {"mimeType": "image/png", "data": "QUJD"}}]},
        {"role": "model", "parts": [{"functionCall": {"name": "f", "args": {"x": 1}}}, {"functionCall": {"name": "g", "args": {}}}]},
        {
            "role": "user",
            "parts": [
                {"functionResponse": {"name": "f", "response": {"name": "f", "content": {"ok": True}}}},
                {"functionResponse": {"name": "g", "response": {"name": "g", "content": "plain"}}},
            ],
        },
        {"role": "model", "parts": [{"text": "done"}]},
    ]  # fmt: skip


def test_generation_config_and_safety():
    req = {
        "messages": [{"role": "user", "content": "x"}],
        "temperature": 0.3, "top_p": 0.8, "seed": 7, "max_tokens": 100,
        "stop": ["1", "2", "3", "4", "5", "6"],
        "response_format": {"type": "json_schema", "json_schema": {"schema": {"type": "object", "additionalProperties": False, "properties": {"a": {"type": ["string", "null"]}}}}},
    }  # fmt: skip
    out, _ = openai_to_gemini_request(req, "gemini-2.0-flash")
    assert out["generationConfig"] == {
        "temperature": 0.3,
        "topP": 0.8,
        "seed": 7,
        "maxOutputTokens": 100,
        "stopSequences": ["1", "2", "3", "4", "5"],
        "responseMimeType": "application/json",
        "responseSchema": {"type": "object", "properties": {"a": {"type": "string", "nullable": True}}},
    }
    safety = {s["category"]: s["threshold"] for s in out["safetySettings"]}
    assert safety["HARM_CATEGORY_HARASSMENT"] == "OFF"
    assert safety["HARM_CATEGORY_CIVIC_INTEGRITY"] == "BLOCK_NONE"
    custom = GeminiOptions(safety={"default": "BLOCK_ONLY_HIGH", "HARM_CATEGORY_HATE_SPEECH": "BLOCK_NONE"})
    out, _ = openai_to_gemini_request(req, "m", custom)
    safety = {s["category"]: s["threshold"] for s in out["safetySettings"]}
    assert safety["HARM_CATEGORY_HARASSMENT"] == "BLOCK_ONLY_HIGH"
    assert safety["HARM_CATEGORY_HATE_SPEECH"] == "BLOCK_NONE"


def test_zero_max_tokens_is_not_sent_and_image_models_get_modalities():
    out, _ = openai_to_gemini_request(
        {"messages": [{"role": "user", "content": "x"}], "max_tokens": 0}, "gemini-2.5-flash-image"
    )
    assert "maxOutputTokens" not in out["generationConfig"]
    assert out["generationConfig"]["responseModalities"] == ["TEXT", "IMAGE"]


def test_tools_builtin_and_choice():
    req = {
        "messages": [{"role": "user", "content": "x"}],
        "tools": [
            {"type": "function", "function": {"name": "googleSearch"}},
            {"type": "function", "function": {"name": "f", "description": "d", "parameters": {"type": "object", "properties": {"q": {"type": "string", "default": "x"}}, "$schema": "s"}}},
            {"type": "function", "function": {"name": "noargs", "parameters": {"type": "object", "properties": {}}}},
        ],
        "tool_choice": {"type": "function", "function": {"name": "f"}},
    }  # fmt: skip
    out, _ = openai_to_gemini_request(req, "m")
    assert out["tools"] == [
        {
            "functionDeclarations": [
                {
                    "name": "f",
                    "description": "d",
                    "parameters": {"type": "object", "properties": {"q": {"type": "string"}}},
                },
                {"name": "noargs"},
            ]
        },
        {"googleSearch": {}},
    ]
    assert out["toolConfig"] == {"functionCallingConfig": {"mode": "ANY", "allowedFunctionNames": ["f"]}}
    for choice, mode in (("auto", "AUTO"), ("none", "NONE"), ("required", "ANY")):
        out, _ = openai_to_gemini_request({**req, "tool_choice": choice}, "m")
        assert out["toolConfig"] == {"functionCallingConfig": {"mode": mode}}


def test_clean_schema_nested():
    schema = {
        "type": "array",
        "items": {
            "type": "object",
            "properties": {"n": {"type": "integer", "examples": [1]}},
            "additionalProperties": True,
        },
    }
    assert clean_schema(schema) == {
        "type": "array",
        "items": {"type": "object", "properties": {"n": {"type": "integer"}}},
    }


@pytest.mark.parametrize(
    ("model", "req", "max_out", "expected_model", "config"),
    [
        (
            "gemini-2.5-flash-thinking-1000",
            {},
            None,
            "gemini-2.5-flash",
            {"thinkingBudget": 1000, "includeThoughts": True},
        ),
        (
            "gemini-2.5-flash-thinking-99999",
            {},
            None,
            "gemini-2.5-flash",
            {"thinkingBudget": 24576, "includeThoughts": True},
        ),
        (
            "gemini-2.5-pro-thinking-1",
            {},
            None,
            "gemini-2.5-pro",
            {"thinkingBudget": 128, "includeThoughts": True},
        ),
        (
            "gemini-2.5-flash-lite-thinking-10",
            {},
            None,
            "gemini-2.5-flash-lite",
            {"thinkingBudget": 512, "includeThoughts": True},
        ),
        (
            "gemini-2.5-flash-thinking",
            {},
            1000,
            "gemini-2.5-flash",
            {"thinkingBudget": 600, "includeThoughts": True},
        ),
        ("gemini-2.5-flash-thinking", {}, None, "gemini-2.5-flash", {"includeThoughts": True}),
        (
            "gemini-2.5-pro-thinking",
            {"reasoning_effort": "low"},
            None,
            "gemini-2.5-pro",
            {"thinkingBudget": 6553, "includeThoughts": True},
        ),
        ("gemini-2.5-flash-nothinking", {}, None, "gemini-2.5-flash", {"thinkingBudget": 0}),
        ("gemini-2.5-pro-nothinking", {}, None, "gemini-2.5-pro", None),
        ("gemini-2.5-flash", {}, None, "gemini-2.5-flash", None),
    ],
)
def test_thinking_suffixes(model, req, max_out, expected_model, config):
    assert thinking_config(model, req, max_out, ON) == (expected_model, config)


def test_thinking_suffix_ignored_when_adapter_off():
    assert thinking_config("gemini-2.5-flash-thinking-100", {}, None, GeminiOptions()) == (
        "gemini-2.5-flash-thinking-100",
        None,
    )


def test_embeddings_request():
    assert openai_to_gemini_embeddings({"input": ["a", "b"], "dimensions": 8}, "text-embedding-004") == {
        "requests": [
            {
                "model": "models/text-embedding-004",
                "content": {"parts": [{"text": "a"}]},
                "outputDimensionality": 8,
            },
            {
                "model": "models/text-embedding-004",
                "content": {"parts": [{"text": "b"}]},
                "outputDimensionality": 8,
            },
        ]
    }


# -- replies -------------------------------------------------------------------------------------

REPLY = {
    "candidates": [
        {
            "content": {"role": "model", "parts": [
                {"text": "plan", "thought": True},
                {"text": "Answer"},
                {"executableCode": {"language": "PYTHON", "code": "print(1)"}},
                {"codeExecutionResult": {"outcome": "OUTCOME_OK", "output": "1"}},
            ]},
            "finishReason": "STOP",
        }
    ],
    "usageMetadata": {"promptTokenCount": 10, "candidatesTokenCount": 4, "thoughtsTokenCount": 3, "cachedContentTokenCount": 6, "toolUsePromptTokenCount": 2},
}  # fmt: skip


def test_reply_conversion_and_usage():
    body, usage, text = gemini_to_openai_response(REPLY, "gemini-2.5-flash")
    ChatCompletion.model_validate(body)
    msg = body["choices"][0]["message"]
    assert msg["reasoning_content"] == "plan"
    assert msg["content"] == "Answer```python\nprint(1)\n```\n```output\n1\n```\n"
    assert body["choices"][0]["finish_reason"] == "stop"
    assert usage == Usage(12, 7, 6)
    assert body["usage"]["prompt_tokens"] == 12 and body["usage"]["completion_tokens"] == 7
    assert text.startswith("Answer")


@pytest.mark.parametrize(
    ("reason", "finish"),
    [
        ("STOP", "stop"),
        ("MAX_TOKENS", "length"),
        ("SAFETY", "content_filter"),
        ("RECITATION", "content_filter"),
    ],
)
def test_finish_reasons(reason, finish):
    reply = {"candidates": [{"content": {"parts": [{"text": "x"}]}, "finishReason": reason}]}
    assert gemini_to_openai_response(reply, "m")[0]["choices"][0]["finish_reason"] == finish


def test_function_call_reply():
    reply = {
        "candidates": [
            {
                "content": {"parts": [{"functionCall": {"name": "f", "args": {"a": 1}}}]},
                "finishReason": "STOP",
            }
        ]
    }
    body, _, _ = gemini_to_openai_response(reply, "m")
    ChatCompletion.model_validate(body)
    call = body["choices"][0]["message"]["tool_calls"][0]
    assert call["function"] == {"name": "f", "arguments": '{"a":1}'}
    assert call["id"].startswith("call_")
    assert body["choices"][0]["finish_reason"] == "tool_calls"
    assert body["choices"][0]["message"]["content"] is None


def test_no_candidates():
    assert no_candidates_status({"promptFeedback": {"blockReason": "SAFETY"}})[0] == 400
    assert no_candidates_status({})[0] == 500
    assert gemini_usage({"promptTokenCount": 0}) is None


def test_stream_conversion():
    conv = GeminiToOpenAIStream("alias")
    chunks = []
    for obj in (
        {"candidates": [{"content": {"parts": [{"text": "hm", "thought": True}]}}], "usageMetadata": {"promptTokenCount": 5}},
        {"candidates": [{"content": {"parts": [{"text": "Hi"}]}}]},
        {"candidates": [{"content": {"parts": [{"functionCall": {"name": "f", "args": {}}}]}, "finishReason": "STOP"}],
         "usageMetadata": {"promptTokenCount": 5, "candidatesTokenCount": 3}},
    ):  # fmt: skip
        chunks += conv.feed(obj)
    chunks.append(conv.closing())
    for chunk in chunks:
        ChatCompletionChunk.model_validate(chunk)
    deltas = [c["choices"][0]["delta"] for c in chunks]
    assert deltas[0] == {"role": "assistant", "content": ""}
    assert deltas[1] == {"reasoning_content": "hm"}
    assert deltas[2] == {"content": "Hi"}
    assert deltas[3]["tool_calls"][0]["index"] == 0
    assert chunks[-1]["choices"][0]["finish_reason"] == "tool_calls"
    assert conv.usage == Usage(5, 3)


def test_embeddings_reply():
    body = gemini_embeddings_to_openai({"embeddings": [{"values": [1.0]}, {"values": [2.0]}]}, "m")
    assert [d["embedding"] for d in body["data"]] == [[1.0], [2.0]]
    assert gemini_embeddings_to_openai({"embedding": {"values": [3.0]}}, "m")["data"][0]["embedding"] == [3.0]


@pytest.mark.parametrize(
    ("model", "effort", "config"),
    [
        ("gemini-3-pro-preview-thinking", None, {"includeThoughts": True, "thinkingLevel": "HIGH"}),
        ("gemini-3-pro-preview-thinking", "low", {"includeThoughts": True, "thinkingLevel": "LOW"}),
        ("gemini-3-flash-nothinking", None, {"thinkingLevel": "LOW"}),
    ],
)
def test_gemini_3_uses_thinking_levels(model, effort, config):
    req = {"reasoning_effort": effort} if effort else {}
    assert thinking_config(model, req, 1000, ON)[1] == config


def test_extra_body_thinking_config_wins():
    req = {
        "messages": [{"role": "user", "content": "x"}],
        "extra_body": {"google": {"thinking_config": {"thinking_budget": 77, "include_thoughts": True}}},
    }
    out, model = openai_to_gemini_request(req, "gemini-2.5-flash-nothinking", ON)
    assert model == "gemini-2.5-flash"
    assert out["generationConfig"]["thinkingConfig"] == {"thinkingBudget": 77, "includeThoughts": True}
