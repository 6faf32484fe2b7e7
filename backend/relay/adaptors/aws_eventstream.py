"""AWS event-stream decoding (application/vnd.amazon.eventstream), as Bedrock streams replies.

Binary frames, not SSE: [total len u32][headers len u32][prelude CRC32][headers][payload][CRC32].
Bedrock wraps each Claude stream event as `{"bytes": base64(event JSON)}` in a `chunk` event;
exceptions arrive as frames with `:message-type: exception`. The parser has the SSEParser
interface (feed / flush / done) and yields each Claude event as an SSEEvent, so the Claude
stream converters work unchanged.
"""

from __future__ import annotations

import base64
import binascii
import struct
import zlib

import orjson

from backend.relay.sse import DEFAULT_MAX_LINE, SSEEvent, SSELineTooLong

_PRELUDE = struct.Struct(">III")
# header value types with a fixed size; 6 (bytes) and 7 (string) carry a u16 length
_FIXED = {0: 0, 1: 0, 2: 1, 3: 2, 4: 4, 5: 8, 8: 8, 9: 16}


class EventStreamError(SSELineTooLong):
    """A corrupt frame (bad CRC or lengths): the stream cannot be trusted past it. A subclass of
    SSELineTooLong so the streaming pump ends the stream the same way for both."""


def parse_headers(raw: bytes) -> dict[str, object]:
    headers: dict[str, object] = {}
    i = 0
    while i < len(raw):
        name_len = raw[i]
        name = raw[i + 1 : i + 1 + name_len].decode("utf-8", "replace")
        i += 1 + name_len
        kind = raw[i]
        i += 1
        if kind in (6, 7):
            (length,) = struct.unpack_from(">H", raw, i)
            value = raw[i + 2 : i + 2 + length]
            headers[name] = value.decode("utf-8", "replace") if kind == 7 else value
            i += 2 + length
        elif kind in _FIXED:
            size = _FIXED[kind]
            headers[name] = kind == 0 if kind in (0, 1) else raw[i : i + size]
            i += size
        else:
            raise EventStreamError(f"unknown header value type {kind}")
    return headers


def _event(headers: dict[str, object], payload: bytes) -> SSEEvent | None:
    message_type = headers.get(":message-type", "event")
    if message_type == "event":
        if headers.get(":event-type") != "chunk":
            return None
        try:
            wrapped = orjson.loads(payload)
            data = base64.b64decode(wrapped["bytes"], validate=True)
        except (orjson.JSONDecodeError, KeyError, TypeError, binascii.Error):
            return None  # like a malformed SSE line: skipped
        return SSEEvent(data) if data else None
    try:
        message = orjson.loads(payload).get("message") or ""
    except (orjson.JSONDecodeError, AttributeError):
        message = payload.decode("utf-8", "replace")
    kind = headers.get(":exception-type") or headers.get(":error-code") or "api_error"
    error = {"type": "error", "error": {"type": str(kind), "message": str(message) or str(kind)}}
    return SSEEvent(orjson.dumps(error), "error")


class EventStreamParser:
    __slots__ = ("_buf", "done", "max_line")

    def __init__(self, max_line: int = DEFAULT_MAX_LINE) -> None:
        self._buf = bytearray()
        self.max_line = max_line
        self.done = False

    def feed(self, chunk: bytes) -> list[SSEEvent]:
        self._buf += chunk
        out: list[SSEEvent] = []
        while len(self._buf) >= _PRELUDE.size:
            total, headers_len, prelude_crc = _PRELUDE.unpack_from(self._buf)
            if zlib.crc32(self._buf[:8]) != prelude_crc or total < 16 + headers_len:
                raise EventStreamError("corrupt event-stream prelude")
            if total > self.max_line:
                raise SSELineTooLong(f"upstream event larger than {self.max_line} bytes")
            if len(self._buf) < total:
                break
            frame = bytes(self._buf[:total])
            del self._buf[:total]
            (message_crc,) = struct.unpack_from(">I", frame, total - 4)
            if zlib.crc32(frame[:-4]) != message_crc:
                raise EventStreamError("corrupt event-stream message")
            headers = parse_headers(frame[12 : 12 + headers_len])
            event = _event(headers, frame[12 + headers_len : -4])
            if event is not None:
                out.append(event)
        return out

    def flush(self) -> list[SSEEvent]:
        self._buf.clear()  # a partial frame at the end is an upstream cut: nothing usable
        return []
