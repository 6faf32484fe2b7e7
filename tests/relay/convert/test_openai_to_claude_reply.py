"""OpenAI replies and streams -> Claude Messages (an OpenAI-format channel answering /v1/messages).
Every produced object is validated with the anthropic SDK's types, and the stream is replayed
through the SDK's own accumulator to get the final Message a client would see."""

from __future__ import annotations

import pytest
from anthropic.lib.streaming._messages import accumulate_event
from anthropic.types import Message, RawMessageStreamEvent
from pydantic import TypeAdapter

from backend.models.usage import Usage
from backend.relay.convert.openai_claude import (
    OpenAIToClaudeStream,
    claude_stop_reason,
    openai_to_claude_response,
)

EVENT = TypeAdapter(RawMessageStreamEvent)

REPLY = {
    "id": "chatcmpl-1",
    "object": "chat.completion",
    "model": "gpt-4o",
    "choices": [
        {
            "index": 0,
            "message": {
                "role": "assistant",
                "content": "Hello",
                "reasoning_content": "hmm",
                "tool_calls": [
                    {"id": "c1", "type": "function", "function": {"name": "f", "arguments": '{"x":1}'}}
                ],
            },
            "finish_reason": "tool_calls",
        }
    ],
}


def test_reply():
    out = openai_to_claude_response(REPLY, Usage(20, 7, 5), "claude-alias")
    msg = Message.model_validate(out)
    assert msg.model == "claude-alias"
    assert [b.type for b in msg.content] == ["thinking", "text", "tool_use"]
    assert msg.content[2].input == {"x": 1}
    assert msg.stop_reason == "tool_use"
    # OpenAI prompt includes cached tokens; Claude's input_tokens does not
    assert out["usage"] == {
        "input_tokens": 15,
        "output_tokens": 7,
        "cache_read_input_tokens": 5,
        "cache_creation_input_tokens": 0,
    }


@pytest.mark.parametrize(
    ("finish", "stop"),
    [
        ("stop", "end_turn"),
        ("length", "max_tokens"),
        ("tool_calls", "tool_use"),
        ("content_filter", "refusal"),
        (None, "end_turn"),
    ],
)
def test_stop_reason_map(finish, stop):
    assert claude_stop_reason(finish) == stop


def test_reply_with_bad_tool_arguments_gets_empty_input():
    reply = {
        "choices": [
            {
                "message": {"tool_calls": [{"id": "c", "function": {"name": "f", "arguments": "{broken"}}]},
                "finish_reason": "tool_calls",
            }
        ]
    }
    out = openai_to_claude_response(reply, Usage(1, 1))
    assert out["content"] == [{"type": "tool_use", "id": "c", "name": "f", "input": {}}]
    Message.model_validate(out)


def _chunk(delta: dict, finish: str | None = None) -> dict:
    return {"id": "chatcmpl-1", "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}


CHUNKS = [
    _chunk({"role": "assistant", "content": ""}),
    _chunk({"reasoning_content": "think"}),
    _chunk({"content": "Hel"}),
    _chunk({"content": "lo"}),
    _chunk(
        {
            "tool_calls": [
                {"index": 0, "id": "c1", "type": "function", "function": {"name": "f", "arguments": ""}}
            ]
        }
    ),
    _chunk({"tool_calls": [{"index": 0, "function": {"arguments": '{"a":'}}]}),
    _chunk({"tool_calls": [{"index": 0, "function": {"arguments": "1}"}}]}),
    _chunk(
        {
            "tool_calls": [
                {"index": 1, "id": "c2", "type": "function", "function": {"name": "g", "arguments": "{}"}}
            ]
        }
    ),
    _chunk({}, "tool_calls"),
    {"id": "chatcmpl-1", "choices": [], "usage": {"prompt_tokens": 9, "completion_tokens": 4}},
]


def _replay(events: list[tuple[str, dict]]) -> Message:
    snapshot = None
    json_bufs: dict[int, bytes] = {}
    for name, payload in events:
        assert payload["type"] == name
        event = EVENT.validate_python(payload)
        snapshot = accumulate_event(event=event, current_snapshot=snapshot, json_bufs=json_bufs)
    assert snapshot is not None
    return snapshot


def test_stream_events_build_the_right_message():
    conv = OpenAIToClaudeStream("claude-alias", prompt_tokens=9)
    events = [e for chunk in CHUNKS for e in conv.feed(chunk)]
    events += conv.finish(Usage(9, 4))
    names = [n for n, _ in events]
    assert names[0] == "message_start"
    assert names[-2:] == ["message_delta", "message_stop"]
    # each block opens once and closes once, at increasing indexes
    starts = [p["index"] for n, p in events if n == "content_block_start"]
    stops = [p["index"] for n, p in events if n == "content_block_stop"]
    assert starts == stops == [0, 1, 2, 3]
    msg = _replay(events)
    assert msg.model == "claude-alias"
    assert [b.type for b in msg.content] == ["thinking", "text", "tool_use", "tool_use"]
    assert msg.content[0].thinking == "think"
    assert msg.content[1].text == "Hello"
    assert (msg.content[2].name, msg.content[2].input) == ("f", {"a": 1})
    assert (msg.content[3].name, msg.content[3].input) == ("g", {})
    assert msg.stop_reason == "tool_use"
    assert msg.usage.output_tokens == 4
    assert events[0][1]["message"]["usage"]["input_tokens"] == 9


def test_stream_finish_without_any_chunk_is_still_a_valid_message():
    conv = OpenAIToClaudeStream("m")
    msg = _replay(conv.finish(Usage(3, 0)))
    assert msg.content == []
    assert msg.stop_reason == "end_turn"


def test_stream_length_finish():
    conv = OpenAIToClaudeStream("m")
    events = conv.feed(_chunk({"content": "x"})) + conv.feed(_chunk({}, "length")) + conv.finish(Usage(1, 1))
    assert _replay(events).stop_reason == "max_tokens"


def test_stream_tool_calls_without_index_split_on_new_id():
    conv = OpenAIToClaudeStream("m")
    events = []
    for call in (
        {"id": "a", "function": {"name": "f", "arguments": "{}"}},
        {"id": "b", "function": {"name": "g", "arguments": ""}},
        {"function": {"arguments": '{"k":2}'}},
    ):
        events += conv.feed(_chunk({"tool_calls": [call]}))
    msg = _replay(events + conv.finish(Usage(1, 1)))
    assert [(b.id, b.name, b.input) for b in msg.content] == [("a", "f", {}), ("b", "g", {"k": 2})]
