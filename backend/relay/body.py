"""Reading a relay request body within MAX_REQUEST_BODY_MB, and refusing shapes nothing downstream
can handle.

The limit is enforced while the body streams in, and again on the decompressed bytes of a
`Content-Encoding: gzip` body, so neither a large upload nor a gzip bomb is ever held in memory
beyond the limit. The counting is `http_limits.BodyBudget`, the same the gateway's guard applies to
every other route.

orjson parses up to 1024 levels and reads integers past 64 bits as floats (or as unsigned 64-bit
ints), but serialising back fails past 254 levels and beyond the signed 64-bit range, and the
recursive converters would hit Python's recursion limit: so the parsed body is held to
`MAX_JSON_DEPTH` and to 64-bit integers here, a 400 before anything else sees it.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import AsyncIterator
from typing import Any

import orjson

from backend.http_limits import BodyBudget, BodyTooLarge
from backend.relay.errors import RelayError, bad_request
from backend.relay.redact import clip, has_control_chars

MAX_JSON_DEPTH = 128  # a deep JSON schema in `tools` needs ~40; orjson serialises at most 254
MAX_MODEL_NAME = 256  # new-api sets none; no provider's model names come close
INT64_MIN, INT64_MAX = -(1 << 63), (1 << 63) - 1
# Cheap pre-checks on the raw bytes: a body with fewer brackets than the depth limit cannot be too
# deep, and one without a 19-digit run holds no integer beyond 64 bits, so most bodies skip the walk.
# One C-speed pass maps digits to "9", opening brackets to "{" and the rest to " " (~1 ms a
# megabyte; a regex for the digit run takes ten times that).
_SKELETON = bytes(0x39 if 0x30 <= b <= 0x39 else 0x7B if b in (0x7B, 0x5B) else 0x20 for b in range(256))
_DIGIT_RUN = b"9" * 19


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
    raise RelayError(415, f"unsupported Content-Encoding: {clip(content_encoding)}", code="unsupported_encoding")


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
    skeleton = raw.translate(_SKELETON)
    if skeleton.count(b"{") > MAX_JSON_DEPTH:
        check_shape(data)
    if skeleton.find(_DIGIT_RUN) >= 0:
        _check_integer_literals(raw)
    return data


def _too_large_int() -> RelayError:
    return bad_request("request body has an integer outside the 64-bit range", code="invalid_request_body")


def check_shape(data: Any) -> None:
    """400 for containers nested deeper than MAX_JSON_DEPTH or an int outside the signed 64-bit
    range. Iterative: a recursive walk would fail on the very input it guards against."""
    stack: list[tuple[Any, int]] = [(data, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_JSON_DEPTH:
            raise bad_request(f"request body is nested deeper than {MAX_JSON_DEPTH} levels",
                              code="invalid_request_body")
        for child in node.values() if type(node) is dict else node:
            kind = type(child)
            if kind is dict or kind is list:
                stack.append((child, depth + 1))
            elif kind is int and not INT64_MIN <= child <= INT64_MAX:
                raise _too_large_int()


def _reject_huge(text: str) -> int:
    # A 64-bit integer has at most 19 digits (20 with the sign): anything longer is out of range,
    # and the length test comes first so a 5,000-digit literal is never converted.
    digits = text.lstrip("-")
    if len(digits) > 19 or not INT64_MIN <= int(text) <= INT64_MAX:
        raise _too_large_int()
    return int(text)


def _check_integer_literals(raw: bytes) -> None:
    """orjson reads an integer literal beyond the 64-bit range as a float, so the parsed body cannot
    tell `18446744073709551616` from `1.8e19`. For the rare body with a 19-digit run, re-read the
    integer literals themselves (the standard parser hands them over as text; strings holding
    digits are not mistaken for numbers). Depth is already bounded, so its recursion is safe."""
    try:
        json.loads(raw, parse_int=_reject_huge)
    except RelayError:
        raise
    except ValueError as exc:  # what orjson accepted, the standard parser may still refuse
        raise bad_request("invalid JSON in request body") from exc


def check_model_name(model: str) -> None:
    """400 for a model name no channel can carry, before any lookup, log or message sees it."""
    if len(model) > MAX_MODEL_NAME:
        raise bad_request(f"model name is too long (at most {MAX_MODEL_NAME} characters)", code="invalid_model_name")
    if has_control_chars(model):
        raise bad_request("model name contains control characters", code="invalid_model_name")
