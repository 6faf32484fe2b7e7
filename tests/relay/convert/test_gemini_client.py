"""A native Gemini client on other channels: Gemini request -> OpenAI, OpenAI reply/stream ->
Gemini, checked against google-genai's own response type."""

from __future__ import annotations

from google.genai import types

from backend.relay.convert.gemini_openai import gemini_to_openai_request
from backend.relay.convert.openai_gemini import OpenAIToGeminiStream, openai_to_gemini_response

REQ = {
    "systemInstruction": {"parts": [{"text": "be brief"}]},
    "contents": [
        {"role": "user", "parts": [{"text": "weather in "}, {"text": "Paris?"}]},
        {"role": "model", "parts": [{"text": "checking", "thought": True}, {"functionCall": {"name": "get_weather", "args": {"city": "Paris"}}}]},
        {"role": "user", "parts": [{"functionResponse": {"name": "get_weather", "response": {"temp": 20}}}]},
        {"role": "user", "parts": [{"text": "and this?"}, {"inlineData": {"mimeType": "image/png", "data": "QUJD"}}]},
    ],
    "generationConfig": {"temperature": 0.5, "maxOutputTokens": 64, "stopSequences": ["END"], "topK": 3,
                         "responseMimeType": "application/json",
                         "responseSchema": {"type": "OBJECT", "properties": {"a": {"type": "STRING"}}}},
    "tools": [{"functionDeclarations": [{"name": "get_weather", "parameters": {"type": "OBJECT", "properties": {"city": {"type": "STRING"}}}}]}],
    "toolConfig": {"functionCallingConfig": {"mode": "ANY", "allowedFunctionNames": ["get_weather"]}},
}  # fmt: skip


def test_request():
    out = gemini_to_openai_request(REQ, "gpt-4o", stream=True)
    assert out["model"] == "gpt-4o"
    assert out["stream"] is True
    assert out["messages"] == [
        {"role": "system", "content": "be brief"},
        {"role": "user", "content": "weather in Paris?"},
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [{"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": '{"city":"Paris"}'}}],
        },
        {"role": "tool", "tool_call_id": "call_1", "content": '{"temp":20}'},
        {"role": "user", "content": [{"type": "text", "text": "and this?"}, {"type": "image_url", "image_url": {"url": "data:image/png;base64,QUJD"}}]},
    ]  # fmt: skip
    assert (out["temperature"], out["max_tokens"], out["stop"]) == (0.5, 64, ["END"])
    assert "top_k" not in out
    assert out["response_format"]["json_schema"]["schema"] == {
        "type": "object",
        "properties": {"a": {"type": "string"}},
    }
    assert out["tools"][0]["function"]["parameters"] == {
        "type": "object",
        "properties": {"city": {"type": "string"}},
    }
    assert out["tool_choice"] == {"type": "function", "function": {"name": "get_weather"}}


def test_request_tool_modes_and_plain_json():
    base = {"contents": [{"role": "user", "parts": [{"text": "x"}]}], "tools": REQ["tools"]}
    for mode, choice in (("AUTO", "auto"), ("NONE", "none"), ("ANY", "required")):
        out = gemini_to_openai_request(
            {**base, "toolConfig": {"functionCallingConfig": {"mode": mode}}}, "m", False
        )
        assert out["tool_choice"] == choice
    out = gemini_to_openai_request(
        {**base, "generationConfig": {"responseMimeType": "application/json"}}, "m", False
    )
    assert out["response_format"] == {"type": "json_object"}
    assert "stream" not in out


def test_whole_reply_parses_as_a_genai_response():
    resp = {
        "id": "chatcmpl-1",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": "Hi", "reasoning_content": "hmm",
                            "tool_calls": [{"id": "c", "function": {"name": "f", "arguments": '{"a":1}'}}]},
                "finish_reason": "tool_calls",
            }
        ],
    }  # fmt: skip
    body = openai_to_gemini_response(resp, 10, 5, 2, "gemini-alias")
    parsed = types.GenerateContentResponse.model_validate(body)
    parts = parsed.candidates[0].content.parts
    assert (parts[0].thought, parts[0].text) == (True, "hmm")
    assert parts[1].text == "Hi"
    assert (parts[2].function_call.name, parts[2].function_call.args) == ("f", {"a": 1})
    assert parsed.candidates[0].finish_reason == types.FinishReason.STOP
    assert parsed.usage_metadata.prompt_token_count == 10
    assert parsed.usage_metadata.cached_content_token_count == 2
    assert parsed.model_version == "gemini-alias"


def test_length_and_filter_finish():
    for finish, expected in (("length", "MAX_TOKENS"), ("content_filter", "SAFETY")):
        body = openai_to_gemini_response(
            {"choices": [{"message": {"content": "x"}, "finish_reason": finish}]}, 1, 1, 0, "m"
        )
        assert body["candidates"][0]["finishReason"] == expected


def test_stream_buffers_function_calls_until_the_end():
    conv = OpenAIToGeminiStream("m")
    out = []
    for delta, finish in (
        ({"role": "assistant", "content": ""}, None),
        ({"reasoning_content": "r"}, None),
        ({"content": "Hel"}, None),
        ({"content": "lo"}, None),
        ({"tool_calls": [{"index": 0, "id": "c", "function": {"name": "f", "arguments": '{"a"'}}]}, None),
        ({"tool_calls": [{"index": 0, "function": {"arguments": ":1}"}}]}, None),
        ({}, "tool_calls"),
    ):
        out += conv.feed({"id": "x", "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]})
    out += conv.finish(7, 3)
    parsed = [types.GenerateContentResponse.model_validate(c) for c in out]
    assert "".join(p.text or "" for p in parsed[:-1]) == "Hello"
    assert parsed[0].candidates[0].content.parts[0].thought is True
    last = parsed[-1].candidates[0]
    assert (last.content.parts[0].function_call.name, last.content.parts[0].function_call.args) == (
        "f",
        {"a": 1},
    )
    assert last.finish_reason == types.FinishReason.STOP
    assert parsed[-1].usage_metadata.total_token_count == 10
