"""Relay errors in OpenAI's shape, and how upstream failures become them.

A `RelayError` knows whether it was raised locally (bad request, auth, quota: never retried, never
held against a channel) or came from the channel (upstream status, transport failure). Every
message the client sees ends with ` (request id: X)` so a support request can be traced.
"""

from __future__ import annotations

from typing import Any

import orjson
from fastapi.responses import Response

from backend.http_limits import HEADERS_TOO_LARGE
from backend.relay.adaptors.base import UpstreamError

LOCAL_TYPE = "new_api_error"
REQUEST_ID_HEADER = "X-Oneapi-Request-Id"


class RelayError(Exception):
    """An error to answer the client with. `local=False` means the channel is to blame."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        code: str | None = None,
        type: str = LOCAL_TYPE,  # noqa: A002 - OpenAI's field name
        param: str = "",
        local: bool = True,
        passthrough: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code
        self.type = type
        self.param = param
        self.local = local
        self.passthrough = passthrough  # an upstream `error` object, forwarded as is

    def error_object(self) -> dict[str, Any]:
        if self.passthrough is not None:
            return dict(self.passthrough)
        return {"message": self.message, "type": self.type, "param": self.param, "code": self.code}

    def with_status(self, status: int) -> RelayError:
        """The same error under another HTTP status (status_code_mapping)."""
        return RelayError(
            status,
            self.message,
            code=self.code,
            type=self.type,
            param=self.param,
            local=self.local,
            passthrough=self.passthrough,
        )

    def __repr__(self) -> str:
        return f"RelayError({self.status}, {self.message!r}, local={self.local})"


def with_request_id(message: str, request_id: str) -> str:
    return f"{message} (request id: {request_id})" if request_id else message


def openai_body(err: RelayError, request_id: str) -> dict[str, Any]:
    obj = err.error_object()
    obj["message"] = with_request_id(str(obj.get("message") or err.message), request_id)
    return {"error": obj}


def json_response(obj: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(orjson.dumps(obj), status_code=status, headers=headers, media_type="application/json")


def error_response(err: RelayError, request_id: str) -> Response:
    return json_response(openai_body(err, request_id), err.status, {REQUEST_ID_HEADER: request_id})


def sse_error_event(err: RelayError, request_id: str) -> bytes:
    """An error after the stream started: the status line is gone, so it travels as an event."""
    return b"data: " + orjson.dumps(openai_body(err, request_id)) + b"\n\n"


# -- common local errors ---------------------------------------------------------------------------


def bad_request(message: str, code: str = "invalid_text_request") -> RelayError:
    return RelayError(400, message, code=code)


def unauthorized(message: str) -> RelayError:
    return RelayError(401, message, code="invalid_api_key")


def forbidden(message: str, code: str = "access_denied") -> RelayError:
    return RelayError(403, message, code=code)


def header_fields_too_large() -> RelayError:
    return RelayError(431, HEADERS_TOO_LARGE, code="request_header_fields_too_large")


def server_busy() -> RelayError:
    """The relay's database pool had no free connection in time: retry later (never a 500)."""
    return RelayError(503, "the server is busy, please try again later", code="server_busy")


def not_implemented() -> RelayError:
    return RelayError(501, "API not implemented", code="api_not_implemented")


def invalid_url(method: str, path: str) -> RelayError:
    return RelayError(404, f"Invalid URL ({method} {path})", type="invalid_request_error", code="")


def no_channel(model: str, group: str) -> RelayError:
    return RelayError(503, f"no available channel for model {model} in group {group}", code="model_not_found")


# -- upstream failures -----------------------------------------------------------------------------


def from_upstream(err: UpstreamError) -> RelayError:
    """An upstream failure as the adaptor read it; its own `error` object is forwarded unchanged."""
    return RelayError(
        err.status_code,
        err.message,
        code=None if err.code is None else str(err.code),
        type=err.type,
        param=err.param or "",
        local=False,
        passthrough=err.openai_error() if err.passthrough is not None else None,
    )


def transport_failure() -> RelayError:
    """Connection refused, reset, timed out... The text never carries the upstream URL."""
    return RelayError(500, "failed to reach the upstream service", code="do_request_failed", local=False)
