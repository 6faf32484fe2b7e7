"""Incremental Server-Sent-Events parsing of upstream bytes, and frame builders for our replies.

The parser is fed whatever chunks the socket hands over; it splits lines with `bytes.find` (no
regex, no per-byte loop), keeps `data:` lines (with the preceding `event:` name, which Claude
streams use), and stops at `[DONE]`. A line longer than `max_line` is an upstream fault: the
parser raises `SSELineTooLong` instead of buffering without bound.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator
from dataclasses import dataclass
from typing import Any

import orjson

DEFAULT_MAX_LINE = 10 * 1024 * 1024
DONE_FRAME = b"data: [DONE]\n\n"


class SSELineTooLong(ValueError):
    """An upstream line exceeded the cap (STREAM_SCANNER_MAX_BUFFER_MB)."""


@dataclass(slots=True, frozen=True)
class SSEEvent:
    """One `data:` line. `event` is the latest `event:` name seen before it in the same block."""

    data: bytes
    event: str | None = None

    def json(self) -> Any:
        return orjson.loads(self.data)


class SSEParser:
    """Feed bytes, get events. `done` turns true at `data: [DONE]`; later input is ignored."""

    __slots__ = ("_buf", "_event", "_scan_from", "done", "max_line")

    def __init__(self, max_line: int = DEFAULT_MAX_LINE) -> None:
        self._buf = bytearray()
        self._event: str | None = None
        self._scan_from = 0
        self.max_line = max_line
        self.done = False

    def feed(self, chunk: bytes) -> list[SSEEvent]:
        if self.done or not chunk:
            return []
        buf = self._buf
        buf += chunk
        out: list[SSEEvent] = []
        start = 0
        # Resume the newline search where the last call stopped: a long line arriving in many
        # small chunks must not be rescanned from its start each time.
        search = self._scan_from
        while True:
            nl = buf.find(b"\n", search)
            if nl < 0:
                break
            end = nl - 1 if nl > start and buf[nl - 1] == 0x0D else nl
            self._line(bytes(buf[start:end]), out)
            start = search = nl + 1
            if self.done:
                buf.clear()
                self._scan_from = 0
                return out
        if start:
            del buf[:start]
        self._scan_from = len(buf)
        if len(buf) > self.max_line:
            raise SSELineTooLong(f"upstream SSE line longer than {self.max_line} bytes")
        return out

    def flush(self) -> list[SSEEvent]:
        """End of the body: a last line without a newline still counts."""
        if self.done or not self._buf:
            return []
        out: list[SSEEvent] = []
        line = bytes(self._buf).rstrip(b"\r")
        self._buf.clear()
        self._scan_from = 0
        self._line(line, out)
        return out

    def _line(self, line: bytes, out: list[SSEEvent]) -> None:
        if not line:
            self._event = None  # a blank line ends the SSE block
            return
        if line.startswith(b"data:"):
            data = line[5:]
            if data[:1] == b" ":
                data = data[1:]
            data = data.strip()
            if data == b"[DONE]":
                self.done = True
                return
            if data:
                out.append(SSEEvent(data, self._event))
        elif line.startswith(b"event:"):
            self._event = line[6:].strip().decode("utf-8", "replace") or None
        # comments (":"), id: and retry: lines carry nothing the relay uses


async def iter_sse(chunks: AsyncIterable[bytes], max_line: int = DEFAULT_MAX_LINE) -> AsyncIterator[SSEEvent]:
    """Events from an async byte stream (e.g. `httpx.Response.aiter_bytes()`), stopping at [DONE]."""
    parser = SSEParser(max_line)
    async for chunk in chunks:
        for event in parser.feed(chunk):
            yield event
        if parser.done:
            return
    for event in parser.flush():
        yield event


def data_frame(obj: Any) -> bytes:
    """`data: <json>\\n\\n` (OpenAI and Gemini streams)."""
    return b"data: " + orjson.dumps(obj) + b"\n\n"


def event_frame(event: str, obj: Any) -> bytes:
    """`event: <type>\\ndata: <json>\\n\\n` (Claude streams)."""
    return b"event: " + event.encode() + b"\ndata: " + orjson.dumps(obj) + b"\n\n"
