"""Relaying an upstream SSE stream to the client as it arrives.

`StreamResponse` is a small ASGI response that runs the producer in a task of its own and watches
the client connection: when the client goes away the producer is cancelled at once (which closes
the upstream connection) instead of noticing only at its next write. The producer settles the
call in its `finally`, so cancellation and errors are billed for what was produced.

`pump` is the loop itself: bytes -> SSE events -> the adaptor's converter -> client frames, with
an idle timer (STREAMING_TIMEOUT) that restarts whenever a whole line or event frame arrives.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from backend.relay.adaptors.base import StreamConverter
from backend.relay.sse import DEFAULT_MAX_LINE, SSEEvent, SSELineTooLong
from backend.relay.upstream import UpstreamResponse, UpstreamTransportError

log = logging.getLogger("newapi.relay")

Write = Callable[[bytes], Awaitable[None]]

SSE_HEADERS = {
    "Content-Type": "text/event-stream",
    "Cache-Control": "no-cache",
    "Connection": "keep-alive",
    "X-Accel-Buffering": "no",
}


class StreamResponse(Response):
    """Streams what `producer(write)` writes; cancels the producer if the client disconnects."""

    def __init__(
        self,
        producer: Callable[[Write], Awaitable[None]],
        *,
        abandon: Callable[[], Awaitable[None]],
        headers: dict[str, str] | None = None,
    ) -> None:
        self.producer = producer
        self.abandon = abandon  # cleanup when the producer never gets to run
        self.status_code = 200
        self.background = None
        self.init_headers({**SSE_HEADERS, **(headers or {})})
        self.client_gone = False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await send({"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers})
        except BaseException:
            self.client_gone = True
            await self.abandon()
            raise

        async def write(chunk: bytes) -> None:
            await send({"type": "http.response.body", "body": chunk, "more_body": True})

        producer = asyncio.create_task(self._produce(write))
        watcher = asyncio.create_task(_until_disconnect(receive))
        try:
            done, _ = await asyncio.wait({producer, watcher}, return_when=asyncio.FIRST_COMPLETED)
            if producer not in done:
                self.client_gone = True
                producer.cancel()
            try:
                await producer
            except asyncio.CancelledError:
                task = asyncio.current_task()
                if task is not None and task.cancelling():  # we were cancelled too, not just the producer
                    raise
            if not self.client_gone:
                with contextlib.suppress(OSError):
                    await send({"type": "http.response.body", "body": b"", "more_body": False})
            if self.background is not None:
                await self.background()
        finally:
            watcher.cancel()
            if not producer.done():  # we are being cancelled ourselves (server shutdown)
                producer.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await producer

    async def _produce(self, write: Write) -> None:
        try:
            await self.producer(write)
        except OSError:  # the transport refused a write: the client is gone
            self.client_gone = True
        except Exception:
            log.exception("stream producer failed")


async def _until_disconnect(receive: Receive) -> None:
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return


@dataclass(slots=True)
class PumpResult:
    timed_out: bool = False
    failure: str | None = None  # transport error, oversize line, unreadable event
    first_frame_at: float | None = None  # time.time() of the first frame written (frt)
    frames: int = 0
    ended: bool = False  # the upstream said [DONE] or ended its body: its connection may be reused
    # the loop ran to its end (not cancelled because the client left)
    finished: bool = False
    # the upstream sent its terminal marker ([DONE], message_stop, a finish reason...): a stream
    # that ended without one was cut short, however cleanly its connection closed
    complete: bool = False


async def pump(
    upstream: UpstreamResponse,
    conv: StreamConverter,
    write: Write,
    *,
    idle_timeout: float,
    result: PumpResult,
    max_line: int = DEFAULT_MAX_LINE,
) -> PumpResult:
    """Relay until the upstream ends, says [DONE], reports an error, fails or goes idle.
    Whether it ended complete is `result.complete`: the caller decides what a cut means.

    `result` is filled in place so a caller cancelled half-way (client gone) still sees what was
    written. Never buffers beyond one SSE line: each frame is written as soon as it is converted.
    """
    loop = asyncio.get_running_loop()
    idle = idle_timeout if idle_timeout > 0 else None
    deadline = loop.time() + idle if idle else None
    parser = conv.make_parser(max_line)  # SSE lines, or e.g. Bedrock's binary event frames
    chunks = upstream.aiter_bytes()

    async def emit(events: list[SSEEvent]) -> None:
        for event in events:
            try:
                frames = conv.feed(event)
            except ValueError as exc:  # malformed JSON in an event
                raise _BadEvent(str(exc)) from exc
            for frame in frames:
                if result.first_frame_at is None:
                    result.first_frame_at = time.time()
                result.frames += 1
                await write(frame)

    try:
        while True:
            try:
                async with asyncio.timeout_at(deadline):
                    chunk = await anext(chunks)
            except StopAsyncIteration:
                result.ended = True
                await emit(parser.flush())
                break
            except TimeoutError:
                result.timed_out = True
                break
            events = parser.feed(chunk)
            # Progress is a whole line (SSE) or a whole frame (binary event streams), not a byte.
            if idle and (events or b"\n" in chunk):
                deadline = loop.time() + idle
            await emit(events)
            if parser.done:
                result.ended = True
                break
            if conv.error is not None:
                break
    except UpstreamTransportError as exc:
        result.failure = f"upstream connection failed: {exc}"
    except SSELineTooLong as exc:
        result.failure = str(exc)
    except _BadEvent as exc:
        result.failure = f"unreadable upstream event: {exc}"
    finally:
        with contextlib.suppress(Exception):
            await chunks.aclose()
    result.complete = parser.done or conv.complete
    result.finished = True
    return result


class _BadEvent(Exception):
    pass
