"""Relay errors in the caller's own format: Anthropic's for /v1/messages, Google's for the native
Gemini routes (OpenAI's is `errors.openai_body`).

The official SDKs pick their exception class from the HTTP status and read the message from the
body, so each shape keeps the status and writes the message (with the request id) where that SDK
looks: Anthropic `{"type":"error","error":{"type","message"}}`, Google
`{"error":{"code","message","status"}}`. The type / status names follow each provider's table.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # errors.py imports the adaptors, whose stream converters import this module
    from backend.relay.errors import RelayError

# https://docs.anthropic.com/en/api/errors
ANTHROPIC_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    402: "billing_error",
    403: "permission_error",
    404: "not_found_error",
    413: "request_too_large",
    429: "rate_limit_error",
    500: "api_error",
    503: "overloaded_error",
    504: "timeout_error",
    529: "overloaded_error",
}
# https://cloud.google.com/apis/design/errors#handling_errors (HTTP status -> google.rpc.Code name)
GOOGLE_STATUS = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    409: "ABORTED",
    413: "INVALID_ARGUMENT",
    415: "INVALID_ARGUMENT",
    429: "RESOURCE_EXHAUSTED",
    499: "CANCELLED",
    500: "INTERNAL",
    501: "UNIMPLEMENTED",
    502: "UNAVAILABLE",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}


def anthropic_type(status: int, upstream_type: str | None = None) -> str:
    """An Anthropic error type for `status`; an upstream's own Anthropic type is kept (a Claude
    channel's `overloaded_error` stays one)."""
    if upstream_type is not None and upstream_type in ANTHROPIC_TYPES.values():
        return upstream_type
    if status in ANTHROPIC_TYPES:
        return ANTHROPIC_TYPES[status]
    return "invalid_request_error" if 400 <= status < 500 else "api_error"


def google_status(status: int) -> str:
    if status in GOOGLE_STATUS:
        return GOOGLE_STATUS[status]
    if 400 <= status < 500:
        return "FAILED_PRECONDITION"
    return "INTERNAL" if status >= 500 else "UNKNOWN"


def _message(err: RelayError, request_id: str) -> str:
    text = str(err.error_object().get("message") or err.message)
    return f"{text} (request id: {request_id})" if request_id else text  # as errors.with_request_id


def claude_error(message: str, status: int, upstream_type: str | None = None) -> dict[str, Any]:
    return {"type": "error", "error": {"type": anthropic_type(status, upstream_type), "message": message}}


def google_error(message: str, status: int) -> dict[str, Any]:
    return {"error": {"code": status, "message": message, "status": google_status(status)}}


def claude_body(err: RelayError, request_id: str) -> dict[str, Any]:
    """`errors.ErrorShape` for Claude Messages clients."""
    upstream_type = err.error_object().get("type") if not err.local else None
    return claude_error(_message(err, request_id), err.status,
                        upstream_type if isinstance(upstream_type, str) else None)


def google_body(err: RelayError, request_id: str) -> dict[str, Any]:
    """`errors.ErrorShape` for native Gemini clients."""
    return google_error(_message(err, request_id), err.status)


# client format (RelayFormat's value) -> its error shape; formats not named here answer in OpenAI's
SHAPES = {
    "claude_messages": claude_body,
    "gemini": google_body,
    "gemini_embeddings": google_body,
}


def shape_for(fmt: str) -> Any:
    """The `errors.ErrorShape` for a client format, or None for OpenAI's own."""
    return SHAPES.get(fmt)
