"""Reading a relay request body within MAX_REQUEST_BODY_MB.

The limit is enforced while the body streams in, and again on the decompressed bytes of a
`Content-Encoding: gzip` body, so neither a large upload nor a gzip bomb is ever held in memory
beyond the limit. The counting is `http_limits.BodyBudget`, the same the gateway's guard applies to
every other route.
"""

from __future__ import annotations

import zlib
from collections.abc import AsyncIterator
from typing import Any

import orjson

from backend.http_limits import BodyBudget, BodyTooLarge
from backend.relay.errors import RelayError, bad_request


def too_large(limit: int) -> RelayError:
    return RelayError(413, f"request body too large (limit {limit // (1024 * 1024)} MB)", code="request_body_too_large")


def check_declared(content_length: str | None, limit: int) -> None:
    """413 before reading anything when Content-Length already says too much."""
    try:
        BodyBudget(limit).declare(content_length)
    except BodyTooLarge:
        raise too_large(limit) from None


async def read_limited(chunks: AsyncIterator[bytes], limit: int, content_encoding: str = "") -> bytes:
    """Collect the body, decompressing gzip on the fly; 413 as soon as it passes `limit`."""
    encoding = content_encoding.strip().lower()
    try:
        if encoding in ("", "identity"):
            return await _collect(chunks, BodyBudget(limit))
        if encoding in ("gzip", "x-gzip"):
            return await _gunzip(chunks, BodyBudget(limit))
    except BodyTooLarge:
        raise too_large(limit) from None
    raise RelayError(415, f"unsupported Content-Encoding: {content_encoding}", code="unsupported_encoding")


async def _collect(chunks: AsyncIterator[bytes], budget: BodyBudget) -> bytes:
    buf = bytearray()
    async for chunk in chunks:
        budget.take(len(chunk))
        buf += chunk
    return bytes(buf)


async def _gunzip(chunks: AsyncIterator[bytes], budget: BodyBudget) -> bytes:
    # Compressed input counts against the limit too (`budget`): it is held while being read.
    limit = budget.limit
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    out = bytearray()
    try:
        async for chunk in chunks:
            budget.take(len(chunk))
            data = chunk
            while data:
                # max_length bounds each step, so one tiny chunk cannot inflate into gigabytes.
                piece = inflater.decompress(data, limit + 1 - len(out))
                out += piece
                if len(out) > limit:
                    raise too_large(limit)
                data = inflater.unconsumed_tail
                if inflater.eof:
                    break
        out += inflater.flush()
    except zlib.error as exc:
        raise bad_request(f"invalid gzip body: {exc}") from exc
    if len(out) > limit:
        raise too_large(limit)
    if not inflater.eof:
        raise bad_request("invalid gzip body: truncated")
    return bytes(out)


def parse_json_object(raw: bytes) -> dict[str, Any]:
    """The body as a JSON object; anything else is the client's mistake (400)."""
    if not raw.strip():
        raise bad_request("request body is empty")
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise bad_request(f"invalid JSON in request body: {exc}") from exc
    if not isinstance(data, dict):
        raise bad_request("request body must be a JSON object")
    return data
