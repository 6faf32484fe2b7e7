"""The streaming loop and response, driven directly: frames leave as they arrive, lines split
across reads are joined, failures and idleness end the loop, a client disconnect cancels the
producer. Ordering is proven with events, never with timings."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import orjson
import pytest

from backend.relay.adaptors.base import RelayFormat, RelayMeta
from backend.relay.adaptors.streams import OpenAIStream
from backend.relay.streaming import PumpResult, StreamResponse, pump
from backend.relay.upstream import UpstreamResponse, UpstreamTransportError

GUARD_S = 10.0  # only a hang guard: a correct loop finishes at once


def chunk(text: str) -> bytes:
    body = {"id": "c", "object": "chat.completion.chunk", "choices": [{"index": 0, "delta": {"content": text}}]}
    return b"data: " + orjson.dumps(body) + b"\n\n"


class ScriptedUpstream(UpstreamResponse):
    """Yields bytes; an asyncio.Event in the script pauses until it is set; an exception is raised."""

    def __init__(self, script: list) -> None:
        self.script = script
        self.status_code = 200
        self.headers = {"content-type": "text/event-stream"}
        self.closed = False

    async def aread(self) -> bytes:
        raise AssertionError("a stream is never read whole")

    async def aiter_bytes(self) -> AsyncIterator[bytes]:
        for step in self.script:
            if isinstance(step, asyncio.Event):
                await step.wait()
            elif isinstance(step, Exception):
                raise step
            else:
                yield step

    async def aclose(self) -> None:
        self.closed = True


def converter() -> OpenAIStream:
    return OpenAIStream(RelayMeta(fmt=RelayFormat.OPENAI_CHAT, origin_model="m", upstream_model="m", stream=True))


async def run_pump(script: list, idle: float = 60.0, on_frame=None) -> tuple[list[bytes], PumpResult, OpenAIStream]:
    frames: list[bytes] = []
    conv = converter()

    async def write(frame: bytes) -> None:
        frames.append(frame)
        if on_frame is not None:
            on_frame(frame)

    result = PumpResult()
    await asyncio.wait_for(pump(ScriptedUpstream(script), conv, write, idle_timeout=idle, result=result), GUARD_S)
    return frames, result, conv


async def test_each_frame_is_written_before_the_next_upstream_read() -> None:
    seen_first = asyncio.Event()  # the upstream sends its second chunk only once the first was relayed
    frames, result, conv = await run_pump(
        [chunk("Hel"), seen_first, chunk("lo"), b"data: [DONE]\n\n"], on_frame=lambda _f: seen_first.set()
    )
    assert frames == [chunk("Hel"), chunk("lo")]
    assert conv.completion_text == "Hello"
    assert result.failure is None and not result.timed_out and result.first_frame_at is not None


async def test_lines_split_across_reads_are_joined_and_done_stops_the_loop() -> None:
    whole = chunk("split")
    frames, _, _ = await run_pump([whole[:7], whole[7:20], whole[20:], b"data: [DONE]\n\n", chunk("after done")])
    assert frames == [whole]


async def test_transport_failure_keeps_what_was_relayed() -> None:
    frames, result, conv = await run_pump([chunk("partial"), UpstreamTransportError("reset")])
    assert frames == [chunk("partial")]
    assert result.failure is not None and "reset" in result.failure
    assert conv.completion_text == "partial"


async def test_idle_upstream_times_out() -> None:
    never = asyncio.Event()
    frames, result, _ = await run_pump([chunk("one"), never], idle=0.05)
    assert frames == [chunk("one")] and result.timed_out


async def test_oversized_line_is_a_failure_not_a_buffer() -> None:
    frames, result, _ = await run_pump([b"data: " + b"x" * (11 * 1024 * 1024)])
    assert frames == [] and result.failure is not None


async def test_client_disconnect_cancels_the_producer() -> None:
    wrote_first = asyncio.Event()
    cleaned_up = asyncio.Event()
    sent: list[dict] = []

    async def producer(write) -> None:
        try:
            await write(b"data: 1\n\n")
            wrote_first.set()
            await asyncio.Event().wait()  # an upstream that never sends again
        finally:
            cleaned_up.set()

    async def receive() -> dict:
        await wrote_first.wait()
        return {"type": "http.disconnect"}

    async def send(message: dict) -> None:
        sent.append(message)

    async def never() -> None:
        raise AssertionError("abandon is only for a response that never started")

    response = StreamResponse(producer, abandon=never)
    await asyncio.wait_for(response({"type": "http"}, receive, send), GUARD_S)
    assert cleaned_up.is_set() and response.client_gone
    assert sent[0]["type"] == "http.response.start" and sent[0]["status"] == 200
    assert (b"content-type", b"text/event-stream") in sent[0]["headers"]
    assert [m["body"] for m in sent[1:]] == [b"data: 1\n\n"]  # no end-of-body after a disconnect


async def test_finished_producer_ends_the_body() -> None:
    sent: list[dict] = []

    async def producer(write) -> None:
        await write(b"data: [DONE]\n\n")

    async def receive() -> dict:
        await asyncio.Event().wait()
        return {}

    async def send(message: dict) -> None:
        sent.append(message)

    async def never() -> None:
        raise AssertionError("not abandoned")

    await asyncio.wait_for(StreamResponse(producer, abandon=never)({"type": "http"}, receive, send), GUARD_S)
    assert sent[-1] == {"type": "http.response.body", "body": b"", "more_body": False}


async def test_a_response_that_cannot_start_is_abandoned() -> None:
    abandoned = asyncio.Event()

    async def producer(write) -> None:
        raise AssertionError("never runs")

    async def abandon() -> None:
        abandoned.set()

    async def send(message: dict) -> None:
        raise OSError("connection reset")

    async def receive() -> dict:
        return {"type": "http.disconnect"}

    with pytest.raises(OSError):
        await StreamResponse(producer, abandon=abandon)({"type": "http"}, receive, send)
    assert abandoned.is_set()


async def test_server_shutdown_cancels_the_producer_and_propagates() -> None:
    wrote_first = asyncio.Event()
    cleaned_up = asyncio.Event()

    async def producer(write) -> None:
        try:
            await write(b"data: 1\n\n")
            wrote_first.set()
            await asyncio.Event().wait()
        finally:
            cleaned_up.set()

    async def receive() -> dict:
        await asyncio.Event().wait()
        return {}

    async def send(message: dict) -> None:
        pass

    async def never() -> None:
        raise AssertionError("not abandoned")

    task = asyncio.create_task(StreamResponse(producer, abandon=never)({"type": "http"}, receive, send))
    await asyncio.wait_for(wrote_first.wait(), GUARD_S)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(task, GUARD_S)
    assert cleaned_up.is_set()
