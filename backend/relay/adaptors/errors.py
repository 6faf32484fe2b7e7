"""Turning an upstream's failure body into an `UpstreamError` (new-api's rules, reference §3)."""

from __future__ import annotations

from typing import Any

import orjson

from backend.relay.adaptors.base import UpstreamError


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _nested(obj: dict, *path: str) -> str:
    cur: Any = obj
    for name in path:
        if not isinstance(cur, dict):
            return ""
        cur = cur.get(name)
    return _text(cur)


def upstream_error(status_code: int, raw: bytes) -> UpstreamError:
    """An `error` object with a message passes through unchanged; otherwise the first non-empty of
    message | msg | err | error_msg | header.message | response.error.message, else a generic text."""
    try:
        body = orjson.loads(raw) if raw else None
    except orjson.JSONDecodeError:
        body = None
    if isinstance(body, list) and body and isinstance(body[0], dict):
        body = body[0]  # Gemini and a few others wrap the error object in a list
    if isinstance(body, dict):
        err = body.get("error")
        if isinstance(err, dict) and _text(err.get("message")):
            code = err.get("code")
            return UpstreamError(
                status_code,
                err["message"],
                type=_text(err.get("type")) or _text(err.get("status")) or "upstream_error",
                code=code if isinstance(code, str | int) and not isinstance(code, bool) else None,
                param=err.get("param") if isinstance(err.get("param"), str) else None,
                passthrough=err,
            )
        message = (
            _text(err)  # {"error": "text"} (Go's decoder would drop it; we keep it)
            or _text(body.get("message"))
            or _text(body.get("msg"))
            or _text(body.get("err"))
            or _text(body.get("error_msg"))
            or _nested(body, "header", "message")
            or _nested(body, "response", "error", "message")
        )
        if message:
            return UpstreamError(status_code, message, param=str(status_code))
    return UpstreamError(status_code, f"bad response status code {status_code}", param=str(status_code))


def bad_body() -> UpstreamError:
    """A 200 answer whose body cannot be read: an upstream fault (retryable, not the client's)."""
    return UpstreamError(
        500, "upstream returned an unreadable response body", code="bad_response_body", param=""
    )
