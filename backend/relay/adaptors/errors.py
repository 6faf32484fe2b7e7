"""An upstream's failure: `UpstreamError`, and new-api's rules for reading one from a body (reference §3).

It sits below `base.py` (which re-exports `UpstreamError`) so both the adaptor contract and the
extraction rules can use it without a cycle.
"""

from __future__ import annotations

from typing import Any

import orjson


class UpstreamError(Exception):
    """A failed upstream answer, normalised to new-api's error fields.

    `passthrough` is the upstream's own error object when it had `error.message`: new-api hands
    that object to OpenAI-format clients unchanged.
    """

    def __init__(
        self,
        status_code: int,
        message: str,
        type: str = "upstream_error",  # noqa: A002 - the wire field's name
        code: str | int | None = "bad_response_status_code",
        param: str | None = None,
        passthrough: dict | None = None,
    ) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.message = message
        self.type = type
        self.code = code
        self.param = param
        self.passthrough = passthrough

    def openai_error(self) -> dict:
        """The `error` object for OpenAI-format replies."""
        if self.passthrough is not None:
            return dict(self.passthrough)
        return {"message": self.message, "type": self.type, "param": self.param or "", "code": self.code}

    def claude_error(self) -> dict:
        """The whole body for Claude-format replies."""
        return {"type": "error", "error": {"type": self.type, "message": self.message}}

    def __repr__(self) -> str:
        return f"UpstreamError({self.status_code}, {self.message!r}, type={self.type!r}, code={self.code!r})"



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


def json_object(raw: bytes) -> dict[str, Any]:
    """A 200 body that must be a JSON object; anything else is `bad_body()`."""
    try:
        resp = orjson.loads(raw)
    except orjson.JSONDecodeError:
        resp = None
    if not isinstance(resp, dict):
        raise bad_body()
    return resp


def bad_body() -> UpstreamError:
    """A 200 answer whose body cannot be read: an upstream fault (retryable, not the client's)."""
    return UpstreamError(
        500, "upstream returned an unreadable response body", code="bad_response_body", param=""
    )
