"""The size limits every request is held to: total header bytes, and body bytes counted as they
arrive. One implementation, used by the relay's body reader (`relay/body.py`) and by the gateway's
ASGI guard for every other route (`request_limits.py`).

The ASGI servers leave room above these: uvicorn (h11) refuses a request head over 16 KB itself,
but granian, which serves both `newapi serve` and `make run` (Reflex), accepts ~400 KB of HTTP/1
head and 16 MB of HTTP/2 headers; hence the check here.
"""

from __future__ import annotations

from starlette.types import Scope

MAX_HEADER_BYTES = 64 * 1024
"""Total bytes of header names and values; beyond it a request is refused with 431."""
HEADERS_TOO_LARGE = f"request headers too large (limit {MAX_HEADER_BYTES // 1024} KB)"


def header_bytes(scope: Scope) -> int:
    return sum(len(name) + len(value) for name, value in scope["headers"])


def headers_too_large(scope: Scope) -> bool:
    return header_bytes(scope) > MAX_HEADER_BYTES


class BodyTooLarge(Exception):
    def __init__(self, limit: int) -> None:
        super().__init__(f"request body over {limit} bytes")
        self.limit = limit


class BodyBudget:
    """One body's bytes counted against `limit`: refused early on a declared Content-Length over
    it, else as soon as the bytes received pass it (a chunked body declares nothing)."""

    __slots__ = ("limit", "seen")

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.seen = 0

    def declare(self, content_length: str | None) -> None:
        if content_length and content_length.isdigit() and int(content_length) > self.limit:
            raise BodyTooLarge(self.limit)

    def take(self, size: int) -> None:
        self.seen += size
        if self.seen > self.limit:
            raise BodyTooLarge(self.limit)
