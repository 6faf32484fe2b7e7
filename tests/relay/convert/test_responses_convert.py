"""Table tests of the pure Responses <-> Chat conversions, the Responses-only rule and Codex's
stream collector."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import orjson
import pytest

from backend.models.usage import Usage
from backend.relay.adaptors.base import AdaptorError, UpstreamError
from backend.relay.adaptors.codex import codex_credentials, collect_stream
from backend.relay.adaptors.responses_bridge import policy_applies, responses_only
from backend.relay.convert.openai_responses import (
    ChatConvertError,
    ResponsesToChatStream,
    chat_to_responses_request,
    responses_to_chat_response,
)
from backend.relay.convert.responses_openai import (
    ResponsesConvertError,
    chat_to_responses_response,
    counting_view,
    responses_to_chat_request,
)
from backend.relay.convert.responses_openai_stream import ChatToResponsesStream

CALL = {"type": "function_call", "call_id": "c1", "name": "f", "arguments": '{"a":1}'}
FN_TOOL = {"type": "function", "name": "f", "description": "d", "parameters": {"type": "object"}}

# -- Responses -> Chat request ------------------------------------------------------------------

REQUESTS: list[tuple[str, dict, dict]] = [
    ("string input", {"input": "hi"}, {"messages": [{"role": "user", "content": "hi"}]}),
    ("instructions and developer", {"instructions": "be brief", "input": [{"role": "developer", "content": "x"}]},
     {"messages": [{"role": "system", "content": "be brief"}, {"role": "system", "content": "x"}]}),
    ("text parts joined", {"input": [{"type": "message", "role": "user", "content": [
        {"type": "input_text", "text": "a"}, {"type": "input_text", "text": "b"}]}]},
     {"messages": [{"role": "user", "content": "ab"}]}),
    ("image part", {"input": [{"role": "user", "content": [{"type": "input_text", "text": "a"},
                                                           {"type": "input_image", "image_url": "u", "detail": "low"}]}]},
     {"messages": [{"role": "user", "content": [{"type": "text", "text": "a"},
                                                {"type": "image_url", "image_url": {"url": "u", "detail": "low"}}]}]}),
    ("parallel calls in one turn, then results",
     {"input": [{"role": "user", "content": "q"}, CALL, {**CALL, "call_id": "c2"},
                {"type": "function_call_output", "call_id": "c1", "output": "r1"},
                {"type": "function_call_output", "call_id": "c2", "output": "r2"}]},
     {"messages": [{"role": "user", "content": "q"},
                   {"role": "assistant", "content": None, "tool_calls": [
                       {"id": "c1", "type": "function", "function": {"name": "f", "arguments": '{"a":1}'}},
                       {"id": "c2", "type": "function", "function": {"name": "f", "arguments": '{"a":1}'}}]},
                   {"role": "tool", "tool_call_id": "c1", "content": "r1"},
                   {"role": "tool", "tool_call_id": "c2", "content": "r2"}]}),
    ("assistant text then its call", {"input": [{"role": "assistant", "content": [
        {"type": "output_text", "text": "let me see"}]}, CALL]},
     {"messages": [{"role": "assistant", "content": "let me see", "tool_calls": [
         {"id": "c1", "type": "function", "function": {"name": "f", "arguments": '{"a":1}'}}]}]}),
    ("reasoning items are not input", {"input": [{"type": "reasoning", "summary": []}, {"role": "user", "content": "q"}]},
     {"messages": [{"role": "user", "content": "q"}]}),
    ("tools, choice, limits, effort, format, stream",
     {"input": "q", "tools": [FN_TOOL], "tool_choice": {"type": "function", "name": "f"}, "max_output_tokens": 50,
      "reasoning": {"effort": "low"}, "text": {"format": {"type": "json_schema", "name": "s", "schema": {}}},
      "temperature": 0.5, "parallel_tool_calls": False, "stream": True, "store": True, "include": ["x"]},
     {"messages": [{"role": "user", "content": "q"}],
      "tools": [{"type": "function", "function": {"name": "f", "parameters": {"type": "object"}, "description": "d"}}],
      "tool_choice": {"type": "function", "function": {"name": "f"}}, "temperature": 0.5,
      "parallel_tool_calls": False, "max_tokens": 50, "reasoning_effort": "low",
      "response_format": {"type": "json_schema", "json_schema": {"name": "s", "schema": {}}},
      "stream": True, "stream_options": {"include_usage": True}}),
    ("custom tool and its call", {"input": [{"type": "custom_tool_call", "call_id": "c", "name": "patch", "input": "*** x"}],
                                  "tools": [{"type": "custom", "name": "patch"}]},
     {"messages": [{"role": "assistant", "content": None, "tool_calls": [
         {"id": "c", "type": "function", "function": {"name": "patch", "arguments": '{"input":"*** x"}'}}]}],
      "tools": [{"type": "function", "function": {"name": "patch", "description": "", "parameters": {
          "type": "object", "properties": {"input": {"type": "string"}}, "required": ["input"]}}}]}),
]


REQUESTS += [
    ("hosted tools offered are left out, namespaces flattened",
     {"input": "q", "tools": [{"type": "web_search"}, {"type": "namespace", "name": "agents", "tools": [FN_TOOL]}]},
     {"messages": [{"role": "user", "content": "q"}],
      "tools": [{"type": "function", "function": {"name": "f", "parameters": {"type": "object"}, "description": "d"}}]}),
]


@pytest.mark.parametrize(("req", "want"), [(r, w) for _, r, w in REQUESTS], ids=[n for n, _, _ in REQUESTS])
def test_responses_to_chat_request(req: dict, want: dict) -> None:
    assert responses_to_chat_request(req, "m") == {"model": "m", **want}


REFUSED = [
    ({"input": "q", "previous_response_id": "resp_1"}, "previous_response_id"),
    ({"input": "q", "conversation": "conv_1"}, "conversation"),
    ({"input": "q", "tools": [{"type": "web_search"}], "tool_choice": {"type": "web_search"}}, "web_search"),
    ({"input": "q", "tools": [{"name": "f"}]}, "needs a type"),
    ({"input": [{"type": "item_reference", "id": "x"}]}, "item_reference"),
    ({"input": [{"role": "tool", "content": "x"}]}, "role"),
    ({"input": [{"role": "user", "content": [{"type": "input_image", "file_id": "f"}]}]}, "image_url"),
    ({"input": 5}, "input must be"),
]


@pytest.mark.parametrize(("req", "needle"), REFUSED)
def test_responses_features_a_chat_upstream_cannot_honour_are_refused(req: dict, needle: str) -> None:
    with pytest.raises(ResponsesConvertError, match=needle):
        responses_to_chat_request(req, "m")


def test_counting_view_is_lenient() -> None:
    view = counting_view({"model": "m", "input": "q", "previous_response_id": "r", "tools": [{"type": "web_search"}]})
    assert view["messages"] == [{"role": "user", "content": "q"}]
    assert counting_view({"input": [{"type": "item_reference"}]})["messages"][0]["role"] == "user"


# -- Chat reply -> Response ---------------------------------------------------------------------


def _chat(message: dict, finish: str = "stop", usage: dict | None = None) -> dict:
    out: dict[str, Any] = {"id": "chatcmpl-1", "created": 7, "choices": [{"index": 0, "message": message,
                                                                          "finish_reason": finish}]}
    if usage:
        out["usage"] = usage
    return out


def test_chat_reply_to_response() -> None:
    chat = _chat({"role": "assistant", "content": "hi", "reasoning_content": "hmm", "tool_calls": [
        {"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{}"}}]}, "tool_calls",
        {"completion_tokens_details": {"reasoning_tokens": 2}})
    resp = chat_to_responses_response(chat, {"instructions": "x", "tools": [FN_TOOL]}, Usage(10, 5, 3), "client-model")
    assert (resp["id"], resp["object"], resp["model"], resp["status"], resp["created_at"]) == (
        "resp_chatcmpl-1", "response", "client-model", "completed", 7)
    assert [i["type"] for i in resp["output"]] == ["reasoning", "message", "function_call"]
    assert resp["output"][0]["summary"] == [{"type": "summary_text", "text": "hmm"}]
    assert resp["output"][2] | {} == {"id": "fc_chatcmpl-1_0", "type": "function_call", "status": "completed",
                                      "call_id": "c1", "name": "f", "arguments": "{}"}
    assert resp["usage"] == {"input_tokens": 10, "input_tokens_details": {"cached_tokens": 3}, "output_tokens": 5,
                             "output_tokens_details": {"reasoning_tokens": 2}, "total_tokens": 15}
    assert resp["instructions"] == "x" and resp["tools"] == [FN_TOOL]


@pytest.mark.parametrize(("finish", "status", "reason"), [
    ("stop", "completed", None), ("tool_calls", "completed", None),
    ("length", "incomplete", "max_output_tokens"), ("content_filter", "incomplete", "content_filter")])
def test_stop_reasons(finish: str, status: str, reason: str | None) -> None:
    resp = chat_to_responses_response(_chat({"content": "x"}, finish), {}, None, "m")
    assert resp["status"] == status and resp["usage"] is None
    assert resp["incomplete_details"] == ({"reason": reason} if reason else None)


def test_anthropic_usage_is_shown_with_every_input_token() -> None:
    resp = chat_to_responses_response(_chat({"content": "x"}), {}, Usage(10, 5, 100, 50, "anthropic"), "m")
    assert resp["usage"]["input_tokens"] == 160 and resp["usage"]["input_tokens_details"]["cached_tokens"] == 100


# -- Chat chunks -> Responses events ------------------------------------------------------------


def _chunk(delta: dict, finish: str | None = None) -> dict:
    return {"id": "c", "created": 1, "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}


def _run(chunks: list[dict], req: dict | None = None, usage: Usage | None = None) -> list[tuple[str, dict]]:
    conv = ChatToResponsesStream(req or {}, "m")
    events = [e for c in chunks for e in conv.feed(c)]
    return events + conv.finish(usage or Usage(4, 2))


def test_stream_reasoning_then_text() -> None:
    events = _run([_chunk({"role": "assistant", "content": ""}), _chunk({"reasoning_content": "hm"}),
                   _chunk({"content": "Hel"}), _chunk({"content": "lo"}), _chunk({}, "stop")])
    assert [k for k, _ in events] == [
        "response.created", "response.in_progress",
        "response.output_item.added", "response.reasoning_summary_part.added", "response.reasoning_summary_text.delta",
        "response.reasoning_summary_text.done", "response.reasoning_summary_part.done", "response.output_item.done",
        "response.output_item.added", "response.content_part.added", "response.output_text.delta",
        "response.output_text.delta", "response.output_text.done", "response.content_part.done",
        "response.output_item.done", "response.completed"]
    assert [p["sequence_number"] for _, p in events] == list(range(len(events)))
    final = events[-1][1]["response"]
    assert [i["type"] for i in final["output"]] == ["reasoning", "message"]
    assert final["output"][1]["content"][0]["text"] == "Hello" and final["usage"]["total_tokens"] == 6
    assert events[12][1]["text"] == "Hello" and events[10][1]["output_index"] == 1


def test_stream_parallel_calls_with_interleaved_arguments() -> None:
    def call(i: int, **fn: str) -> dict:
        return _chunk({"tool_calls": [{"index": i, **({"id": f"c{i}", "type": "function"} if "name" in fn else {}),
                                       "function": fn}]})

    events = _run([call(0, name="f", arguments=""), call(1, name="g", arguments='{"b"'), call(0, arguments='{"a":1}'),
                   call(1, arguments=":2}"), _chunk({}, "tool_calls")])
    kinds = [k for k, _ in events]
    assert kinds.count("response.output_item.added") == 2 and kinds.count("response.function_call_arguments.delta") == 3
    done = [p for k, p in events if k == "response.function_call_arguments.done"]
    assert [(d["name"], d["arguments"], d["output_index"]) for d in done] == [("f", '{"a":1}', 0), ("g", '{"b":2}', 1)]
    final = events[-1][1]["response"]
    assert [(i["call_id"], i["name"]) for i in final["output"]] == [("c0", "f"), ("c1", "g")]


def test_stream_length_stop_is_incomplete_and_custom_calls_carry_input() -> None:
    events = _run([_chunk({"content": "x"}), _chunk({}, "length")])
    assert events[-1][0] == "response.incomplete"
    assert events[-1][1]["response"]["incomplete_details"] == {"reason": "max_output_tokens"}
    custom = _run([_chunk({"tool_calls": [{"index": 0, "id": "c", "function": {"name": "patch",
                                                                             "arguments": '{"input":"diff"}'}}]})],
                  {"tools": [{"type": "custom", "name": "patch"}]})
    assert [k for k, _ in custom][-4:] == ["response.custom_tool_call_input.delta", "response.custom_tool_call_input.done",
                                           "response.output_item.done", "response.completed"]
    assert custom[-1][1]["response"]["output"][0] == {"id": "fc_c_0", "type": "custom_tool_call", "status": "completed",
                                                       "call_id": "c", "name": "patch", "input": "diff"}


def test_calls_of_namespaced_functions_name_their_namespace() -> None:
    req = {"tools": [{"type": "namespace", "name": "agents", "tools": [FN_TOOL]}]}
    chat = _chat({"tool_calls": [{"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{}"}}]})
    assert chat_to_responses_response(chat, req, None, "m")["output"][0]["namespace"] == "agents"
    events = _run([_chunk({"tool_calls": [{"index": 0, "id": "c", "function": {"name": "f", "arguments": "{}"}}]})], req)
    assert events[-1][1]["response"]["output"][0]["namespace"] == "agents"


def test_stream_without_chunks_still_opens_and_closes() -> None:
    events = _run([])
    assert [k for k, _ in events] == ["response.created", "response.in_progress", "response.completed"]


# -- Chat request -> Responses request ----------------------------------------------------------


def test_chat_to_responses_request() -> None:
    req = {"messages": [
        {"role": "system", "content": "sys"},
        {"role": "user", "content": [{"type": "text", "text": "q"}, {"type": "image_url", "image_url": {"url": "u"}}]},
        {"role": "assistant", "content": None, "tool_calls": [{"id": "c1", "type": "function",
                                                               "function": {"name": "f", "arguments": "{}"}}]},
        {"role": "tool", "tool_call_id": "c1", "content": "r"},
        {"role": "system", "content": "later"}],
        "tools": [{"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}],
        "tool_choice": {"type": "function", "function": {"name": "f"}}, "max_tokens": 9, "max_completion_tokens": 20,
        "reasoning_effort": "low", "response_format": {"type": "json_object"}, "stream": True,
        "stream_options": {"include_usage": True}, "stop": ["x"], "temperature": 0}
    assert chat_to_responses_request(req, "m") == {
        "model": "m", "instructions": "sys",
        "input": [{"type": "message", "role": "user", "content": [
            {"type": "input_text", "text": "q"}, {"type": "input_image", "image_url": "u", "detail": "auto"}]},
            {"type": "function_call", "call_id": "c1", "name": "f", "arguments": "{}"},
            {"type": "function_call_output", "call_id": "c1", "output": "r"},
            {"type": "message", "role": "developer", "content": "later"}],
        "tools": [{"type": "function", "name": "f", "parameters": {"type": "object"}}],
        "tool_choice": {"type": "function", "name": "f"}, "temperature": 0, "max_output_tokens": 20,
        "reasoning": {"effort": "low", "summary": "auto"}, "text": {"format": {"type": "json_object"}}, "stream": True}


@pytest.mark.parametrize(("req", "needle"), [
    ({"messages": [{"role": "user", "content": "q"}], "n": 2}, "n > 1"),
    ({"messages": []}, "messages"),
    ({"messages": [{"role": "function", "content": "q"}]}, "role"),
    ({"messages": [{"role": "user", "content": "q"}], "tools": [{"type": "web_search"}]}, "function tools"),
])
def test_chat_requests_a_responses_model_cannot_take(req: dict, needle: str) -> None:
    with pytest.raises(ChatConvertError, match=needle):
        chat_to_responses_request(req, "m")


# -- Response -> Chat reply and stream ----------------------------------------------------------

RESPONSE = {"id": "resp_9", "created_at": 5, "status": "incomplete", "incomplete_details": {"reason": "max_output_tokens"},
            "output": [{"type": "reasoning", "summary": [{"type": "summary_text", "text": "hm"}]},
                       {"type": "message", "content": [{"type": "output_text", "text": "Hi"}]}],
            "usage": {"input_tokens": 10, "input_tokens_details": {"cached_tokens": 4}, "output_tokens": 6,
                      "output_tokens_details": {"reasoning_tokens": 2}}}


def test_response_to_chat_reply() -> None:
    body, usage, text = responses_to_chat_response(RESPONSE, "m")
    assert body["id"] == "chatcmpl-9" and body["created"] == 5 and body["model"] == "m"
    choice = body["choices"][0]
    assert choice["finish_reason"] == "length"
    assert choice["message"] == {"role": "assistant", "content": "Hi", "refusal": None, "reasoning_content": "hm"}
    assert body["usage"] == {"prompt_tokens": 10, "completion_tokens": 6, "total_tokens": 16,
                             "prompt_tokens_details": {"cached_tokens": 4},
                             "completion_tokens_details": {"reasoning_tokens": 2}}
    assert usage == Usage(10, 6, 4) and text == "Hihm"
    calls = {"status": "completed", "output": [{"type": "function_call", "call_id": "c", "name": "f", "arguments": "{}"}]}
    body, _, _ = responses_to_chat_response(calls, "m")
    assert body["choices"][0]["finish_reason"] == "tool_calls" and body["choices"][0]["message"]["content"] is None


def test_responses_events_to_chat_chunks() -> None:
    conv = ResponsesToChatStream("m")
    events = [
        {"type": "response.created", "response": {"id": "resp_1", "created_at": 3}},
        {"type": "response.reasoning_summary_text.delta", "delta": "hm"},
        {"type": "response.output_text.delta", "delta": "Hi"},
        {"type": "response.output_item.added", "item": {"type": "function_call", "id": "fc", "call_id": "c", "name": "f"}},
        {"type": "response.function_call_arguments.delta", "item_id": "fc", "delta": "{}"},
        {"type": "response.completed", "response": {"status": "completed", "usage": RESPONSE["usage"]}},
    ]
    chunks = [c for e in events for c in conv.feed(e)]
    deltas = [c["choices"][0]["delta"] if c["choices"] else None for c in chunks]
    assert deltas[:3] == [{"role": "assistant", "content": ""}, {"reasoning_content": "hm"}, {"content": "Hi"}]
    assert deltas[3] == {"tool_calls": [{"index": 0, "id": "c", "type": "function", "function": {"name": "f", "arguments": ""}}]}
    assert deltas[4] == {"tool_calls": [{"index": 0, "function": {"arguments": "{}"}}]}
    assert chunks[5]["choices"][0]["finish_reason"] == "tool_calls" and chunks[6]["usage"]["prompt_tokens"] == 10
    assert {c["id"] for c in chunks} == {"chatcmpl-1"} and conv.complete and conv.usage == Usage(10, 6, 4)
    failed = ResponsesToChatStream("m")
    failed.feed({"type": "response.failed", "response": {"error": {"code": "server_error", "message": "boom"}}})
    assert failed.error == {"code": "server_error", "message": "boom"} and not failed.complete


# -- which Chat calls go through Responses ------------------------------------------------------


def _channel(type_: int, id_: int = 1) -> Any:
    return SimpleNamespace(id=id_, type=type_)


@pytest.mark.parametrize(("type_", "upstream", "policy", "want"), [
    (57, "gpt-4o", None, True),  # Codex channels serve /responses only
    (1, "gpt-5-codex", None, True), (3, "codex-mini-latest", None, True), (1, "o3-pro", None, True),
    (1, "gpt-5.1-pro", None, True), (1, "o4-mini-deep-research", None, True),
    (1, "gpt-4o", None, False), (43, "gpt-5-codex", None, False),  # a third party's codex name: Chat as asked
    (43, "gpt-4o", {"enabled": True, "all_channels": True, "model_patterns": ["^gpt-4o$"]}, True),
    (43, "gpt-4o", {"enabled": False, "all_channels": True, "model_patterns": ["^gpt-4o$"]}, False),
    (43, "gpt-4o", {"enabled": True, "channel_types": [1], "model_patterns": ["gpt"]}, False),
    (43, "gpt-4o", {"enabled": True, "channel_ids": [1], "model_patterns": ["gpt"]}, True),
    (43, "gpt-4o", {"enabled": True, "all_channels": True, "model_patterns": ["("]}, False),  # broken regex
])
def test_responses_only(type_: int, upstream: str, policy: dict | None, want: bool) -> None:
    assert responses_only(_channel(type_), upstream, upstream, policy) is want


def test_policy_matches_the_client_model_name() -> None:
    policy = {"enabled": True, "all_channels": True, "model_patterns": ["^client$"]}
    assert policy_applies(policy, _channel(1), "client") and not policy_applies(policy, _channel(1), "upstream")


# -- Codex ----------------------------------------------------------------------------------------


def _sse(*events: dict) -> bytes:
    return b"".join(b"event: " + e["type"].encode() + b"\ndata: " + orjson.dumps(e) + b"\n\n" for e in events)


def test_codex_stream_collected_into_a_response() -> None:
    item = {"type": "message", "content": [{"type": "output_text", "text": "Hi"}]}
    raw = _sse({"type": "response.created", "response": {"id": "r"}},
               {"type": "response.output_item.done", "output_index": 0, "item": item},
               {"type": "response.completed", "response": {"id": "r", "status": "completed", "output": []}})
    assert collect_stream(raw)["output"] == [item]  # an empty final output is filled from the items
    with pytest.raises(UpstreamError, match="before it was complete"):
        collect_stream(_sse({"type": "response.created", "response": {"id": "r"}}))
    with pytest.raises(UpstreamError, match="boom"):
        collect_stream(_sse({"type": "response.failed", "response": {"error": {"message": "boom"}}}))


@pytest.mark.parametrize("key", ["sk-plain", "{}", '{"access_token":"t"}', '{"access_token":"","account_id":"a"}', "{bad"])
def test_codex_key_must_be_the_oauth_json(key: str) -> None:
    with pytest.raises(AdaptorError, match="access_token and account_id"):
        codex_credentials(key)
    assert codex_credentials('{"access_token":" t ","account_id":"a"}') == ("t", "a")
