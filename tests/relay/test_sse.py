"""The upstream SSE parser: line splitting across chunk borders, event names, [DONE], the cap."""

from __future__ import annotations

import pytest

from backend.relay.sse import (
    DONE_FRAME,
    SSEEvent,
    SSELineTooLong,
    SSEParser,
    data_frame,
    event_frame,
    iter_sse,
)

STREAM = (
    b'data: {"a":1}\n\n'
    b"event: content_block_delta\n"
    b'data: {"b":2}\n\n'
    b": keep-alive comment\n\n"
    b"id: 7\nretry: 100\n"
    b'data:{"c":3}\r\n\r\n'
    b"data: [DONE]\n\n"
    b'data: {"after":"done"}\n\n'
)
EXPECTED = [
    SSEEvent(b'{"a":1}', None),
    SSEEvent(b'{"b":2}', "content_block_delta"),
    SSEEvent(b'{"c":3}', None),
]


def _feed_in_pieces(raw: bytes, size: int) -> tuple[list[SSEEvent], SSEParser]:
    parser = SSEParser()
    out: list[SSEEvent] = []
    for i in range(0, len(raw), size):
        out += parser.feed(raw[i : i + size])
    out += parser.flush()
    return out, parser


@pytest.mark.parametrize("size", [1, 2, 3, 7, 16, 1000])
def test_same_events_whatever_the_chunking(size):
    events, parser = _feed_in_pieces(STREAM, size)
    assert events == EXPECTED
    assert parser.done


def test_event_name_is_scoped_to_its_block():
    parser = SSEParser()
    events = parser.feed(b"event: ping\ndata: {}\n\ndata: {}\n\n")
    assert [e.event for e in events] == ["ping", None]


def test_done_stops_and_ignores_the_rest():
    parser = SSEParser()
    assert parser.feed(b"data: [DONE]\n\ndata: {}\n\n") == []
    assert parser.done
    assert parser.feed(b'data: {"x":1}\n\n') == []


def test_empty_data_lines_and_other_fields_are_skipped():
    parser = SSEParser()
    assert parser.feed(b"data:\n\ndata: \n\nfoo: bar\n\n") == []
    assert not parser.done


def test_last_line_without_newline_is_kept_by_flush():
    parser = SSEParser()
    assert parser.feed(b'data: {"x":1}') == []
    assert parser.flush() == [SSEEvent(b'{"x":1}')]


def test_json_helper():
    assert SSEEvent(b'{"k": [1, 2]}').json() == {"k": [1, 2]}


def test_overlong_line_raises():
    parser = SSEParser(max_line=64)
    parser.feed(b"data: " + b"x" * 40)
    with pytest.raises(SSELineTooLong):
        parser.feed(b"y" * 40)


def test_long_line_under_the_cap_in_many_chunks():
    parser = SSEParser(max_line=100_000)
    payload = b'{"t":"' + b"z" * 50_000 + b'"}'
    raw = b"data: " + payload + b"\n\n"
    events: list[SSEEvent] = []
    for i in range(0, len(raw), 100):
        events += parser.feed(raw[i : i + 100])
    assert events == [SSEEvent(payload)]


async def test_iter_sse_over_async_chunks():
    async def chunks():
        for i in range(0, len(STREAM), 5):
            yield STREAM[i : i + 5]

    assert [e async for e in iter_sse(chunks())] == EXPECTED


async def test_iter_sse_without_done_flushes_tail():
    async def chunks():
        yield b'data: {"a":1}\n\ndata: {"b":2}'

    assert [e.data async for e in iter_sse(chunks())] == [b'{"a":1}', b'{"b":2}']


def test_frame_builders():
    assert data_frame({"a": 1}) == b'data: {"a":1}\n\n'
    assert event_frame("message_stop", {"type": "message_stop"}) == (
        b'event: message_stop\ndata: {"type":"message_stop"}\n\n'
    )
    assert DONE_FRAME == b"data: [DONE]\n\n"
