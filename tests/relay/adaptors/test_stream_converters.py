"""Stream converters fed event by event: what reaches the client and what is billed."""

from __future__ import annotations

import orjson

from backend.models.usage import Usage
from backend.relay.adaptors import RelayFormat
from backend.relay.adaptors.streams import (
    ClaudePassStream,
    ClaudeToOpenAIStreamConverter,
    OpenAIStream,
    OpenAIToClaudeStreamConverter,
)
from backend.relay.sse import DONE_FRAME, SSEEvent, SSEParser
from tests.relay.adaptors.adaptor_helpers import meta


def ev(obj: dict, event: str | None = None) -> SSEEvent:
    return SSEEvent(orjson.dumps(obj), event)


def chunk(delta: dict | None = None, finish: str | None = None, **extra) -> dict:
    choices = [] if delta is None else [{"index": 0, "delta": delta, "finish_reason": finish}]
    return {
        "id": "c1",
        "object": "chat.completion.chunk",
        "created": 1,
        "model": "m",
        "choices": choices,
        **extra,
    }


def payloads(frames: list[bytes]) -> list:
    parser = SSEParser()
    return [e.json() for f in frames for e in parser.feed(f)]


def test_unchanged_chunks_are_forwarded_byte_for_byte():
    conv = OpenAIStream(meta(stream=True))
    raw = b'{"id":"c1","choices":[{"index":0,"delta":{"content":"hi"},"finish_reason":null}],"usage":null}'
    assert conv.feed(SSEEvent(raw)) == [b"data: " + raw + b"\n\n"]
    assert conv.completion_text == "hi"


def test_chunks_without_choices_or_usage_pass_through():
    conv = OpenAIStream(meta(stream=True))
    azure_filter = chunk(None, prompt_filter_results=[{"prompt_index": 0}])
    assert payloads(conv.feed(ev(azure_filter))) == [azure_filter]


def test_usage_only_chunk_hidden_then_no_synthetic_when_not_asked():
    conv = OpenAIStream(meta(stream=True, include_usage=False))
    assert conv.feed(ev(chunk(None, usage={"prompt_tokens": 3, "completion_tokens": 4}))) == []
    assert conv.usage == Usage(3, 4)
    assert conv.finish(Usage(3, 4)) == [DONE_FRAME]


def test_usage_chunk_forwarded_once_when_asked():
    conv = OpenAIStream(meta(stream=True, include_usage=True))
    frames = conv.feed(ev(chunk(None, usage={"prompt_tokens": 3, "completion_tokens": 4})))
    assert payloads(frames)[0]["usage"]["completion_tokens"] == 4
    assert conv.finish(Usage(3, 4)) == [DONE_FRAME]


def test_synthetic_usage_chunk_uses_the_last_chunk_identity():
    conv = OpenAIStream(meta(stream=True, include_usage=True))
    conv.feed(ev(chunk({"content": "x"})))
    frames = conv.finish(Usage(10, 2, 4))
    final = payloads(frames[:1])[0]
    assert final == {
        "id": "c1",
        "object": "chat.completion.chunk",
        "created": 1,
        "model": "m",
        "choices": [],
        "usage": {
            "prompt_tokens": 10,
            "completion_tokens": 2,
            "total_tokens": 12,
            "prompt_tokens_details": {"cached_tokens": 4},
        },
    }
    assert frames[1] == DONE_FRAME


def test_deepseek_cache_hits_count_as_cached():
    conv = OpenAIStream(meta(stream=True))
    conv.feed(
        ev(chunk(None, usage={"prompt_tokens": 10, "completion_tokens": 1, "prompt_cache_hit_tokens": 6}))
    )
    assert conv.usage == Usage(10, 1, 6)


def test_thinking_to_content_wraps_reasoning_once():
    conv = OpenAIStream(meta(stream=True), thinking_to_content=True)
    deltas = []
    for delta in ({"role": "assistant", "content": ""}, {"reasoning_content": "a"}, {"reasoning_content": "b"},
                  {"content": "X"}, {"content": "Y"}):  # fmt: skip
        deltas += [p["choices"][0]["delta"] for p in payloads(conv.feed(ev(chunk(delta))))]
    assert [d.get("content") for d in deltas] == ["", "<think>\na", "b", "\n</think>\nX", "Y"]
    assert all("reasoning_content" not in d for d in deltas)
    assert conv.completion_text == "abXY"  # billing counts the text, not the markers


def test_tool_call_fallback_weight():
    conv = OpenAIStream(meta(stream=True))
    calls = [{"index": i, "id": f"t{i}", "function": {"name": "f", "arguments": "{}"}} for i in range(3)]
    conv.feed(ev(chunk({"tool_calls": calls})))
    conv.feed(ev(chunk({"tool_calls": calls[:1]})))
    assert conv.tool_call_tokens == 21  # 7 x the most calls seen in one chunk
    assert conv.completion_text == "f{}" * 4


def test_error_chunk_sets_error_and_the_error_frame_is_the_pipelines():
    # The upstream's own error frame is not forwarded: it may name the channel key or an internal
    # address, so the pipeline writes a redacted one through `error_frame`.
    conv = OpenAIStream(meta(stream=True))
    frames = conv.feed(ev({"error": {"message": "boom", "type": "server_error"}}))
    assert frames == [] and conv.error.message == "boom"
    assert payloads([conv.error_frame({"message": "shown", "type": "upstream_error"}, 500)]) == [
        {"error": {"message": "shown", "type": "upstream_error"}}
    ]


def test_malformed_and_non_object_events_are_skipped():
    conv = OpenAIStream(meta(stream=True))
    assert conv.feed(SSEEvent(b"{oops")) == []
    assert conv.feed(SSEEvent(b"[1,2]")) == []


def test_claude_pass_stream_rebuilds_event_lines_and_merges_usage():
    conv = ClaudePassStream(meta(RelayFormat.CLAUDE_MESSAGES, stream=True))
    start = {
        "type": "message_start",
        "message": {"usage": {"input_tokens": 5, "output_tokens": 1, "cache_read_input_tokens": 2}},
    }
    frames = conv.feed(ev(start))  # no event: line upstream; the type names the event
    assert frames[0].startswith(b"event: message_start\ndata: ")
    conv.feed(ev({"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "hey"}}))
    conv.feed(
        ev(
            {
                "type": "message_delta",
                "delta": {"stop_reason": "end_turn"},
                "usage": {"output_tokens": 8, "input_tokens": None},
            }
        )
    )
    assert conv.usage == Usage(5, 8, 2, 0, "anthropic")
    assert conv.finish_reason == "end_turn"
    assert conv.completion_text == "hey"
    assert conv.finish(conv.usage) == []


def test_claude_to_openai_converter_reports_error_in_openai_shape():
    conv = ClaudeToOpenAIStreamConverter(meta(stream=True))
    frames = conv.feed(
        ev({"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}, "error")
    )
    assert frames == []
    assert conv.error.type == "overloaded_error" and conv.error.openai_error() == {
        "type": "overloaded_error", "message": "Overloaded"}


def test_openai_to_claude_converter_error_then_more_chunks():
    conv = OpenAIToClaudeStreamConverter(meta(RelayFormat.CLAUDE_MESSAGES, stream=True))
    conv.feed(ev(chunk({"content": "a"})))
    assert conv.feed(ev({"error": {"message": "mid", "type": "server_error"}})) == []
    assert conv.error.message == "mid"
    frame = conv.error_frame({"message": "shown", "type": "upstream_error"}, 500)
    assert frame == b'event: error\ndata: {"type":"error","error":{"type":"api_error","message":"shown"}}\n\n'  # Anthropic's type for a 500
    assert conv.feed(ev(chunk({"content": "b"}))) == []


def test_claude_error_reported_once():
    conv = ClaudeToOpenAIStreamConverter(meta(stream=True))
    conv.feed(ev({"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}))
    later = conv.feed(ev({"type": "ping"}))
    assert later == []


# -- completeness: did the upstream send its own end marker? ------------------------------------


def test_openai_stream_is_complete_at_a_finish_reason():
    conv = OpenAIStream(meta(stream=True))
    conv.feed(ev(chunk({"content": "a"})))
    assert not conv.complete
    conv.feed(ev(chunk({}, finish="stop")))
    assert conv.complete


def test_claude_upstream_is_complete_only_at_message_stop():
    for conv in (ClaudeToOpenAIStreamConverter(meta(stream=True)),
                 ClaudePassStream(meta(RelayFormat.CLAUDE_MESSAGES, stream=True))):
        conv.feed(ev({"type": "message_start", "message": {"id": "m", "usage": {"input_tokens": 3}}}))
        conv.feed(ev({"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "hi"}}))
        conv.feed(ev({"type": "message_delta", "delta": {"stop_reason": "end_turn"}, "usage": {"output_tokens": 1}}))
        assert not conv.complete, type(conv).__name__  # a stop reason, but the upstream had more to say
        conv.feed(ev({"type": "message_stop"}))
        assert conv.complete, type(conv).__name__
