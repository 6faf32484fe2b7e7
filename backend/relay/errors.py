"""Relay errors in OpenAI's shape, and how upstream failures become them.

A `RelayError` knows whether it was raised locally (bad request, auth, quota: never retried, never
held against a channel) or came from the channel (upstream status, transport failure). Every
message the client sees ends with ` (request id: X)` so a support request can be traced.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import orjson
from fastapi.responses import Response

from backend.http_limits import HEADERS_TOO_LARGE
from backend.relay.adaptors.base import UpstreamError
from backend.relay.redact import MASK, clip, redact, redact_secrets

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
        headers: dict[str, str] | None = None,
        upstream_status: int | None = None,
        detail: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code
        self.type = type
        self.param = param
        self.local = local
        self.passthrough = passthrough  # an upstream `error` object, forwarded (redacted: for_caller)
        self.headers = headers or {}  # extra response headers (Retry-After on a 429)
        self.upstream_status = upstream_status  # what the upstream answered, before status_code_mapping
        self.detail = detail  # the operator's view of an upstream failure (logs), secrets removed

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
            headers=self.headers,
            upstream_status=self.upstream_status,
            detail=self.detail,
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
    return json_response(openai_body(err, request_id), err.status, {**err.headers, REQUEST_ID_HEADER: request_id})


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
    return RelayError(404, f"Invalid URL ({clip(method, 16)} {clip(path, 128)})", type="invalid_request_error", code="")


def no_channel(model: str, group: str) -> RelayError:
    return RelayError(503, f"no available channel for model {clip(model)} in group {clip(group)}", code="model_not_found")


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
        upstream_status=err.status_code,
    )


def transport_failure() -> RelayError:
    """Connection refused, reset, timed out... The text never carries the upstream URL."""
    return RelayError(500, "failed to reach the upstream service", code="do_request_failed", local=False)


# -- what a caller may see of a channel's failure ------------------------------------------------

UPSTREAM_AUTH_STATUS = frozenset({401, 403})
CHANNEL_AUTH_STATUS = 502  # the gateway's own credentials failed upstream: a bad gateway, not a bad key
CHANNEL_AUTH_MESSAGE = (
    "the upstream service refused this gateway's credentials for the selected channel; "
    "your API key is fine, please retry later or contact the administrator"
)
_MAX_SCRUB_DEPTH = 8  # upstream error objects are shallow; anything deeper is dropped, not walked


def _scrub(value: Any, clean: Callable[[str], str], depth: int = 0) -> Any:
    """Every string in an upstream error object cleaned (OpenRouter nests the provider's raw text
    under `metadata.raw`, so the message alone is not enough)."""
    if isinstance(value, str):
        return clean(value)
    if depth >= _MAX_SCRUB_DEPTH:
        return MASK if isinstance(value, dict | list) else value
    if isinstance(value, dict):
        return {k: _scrub(v, clean, depth + 1) for k, v in value.items()}
    if isinstance(value, list):
        return [_scrub(v, clean, depth + 1) for v in value]
    return value


def for_caller(err: RelayError, *, secrets: Iterable[str], admin: bool) -> RelayError:
    """A channel's failure as the caller sees it; local errors are the caller's own and pass.

    Nobody sees the channel key or anything shaped like a credential. Callers below admin also
    see no URLs or addresses. An upstream 401/403 is about the gateway's key for that channel, not
    the caller's: it becomes a 502 with a gateway-side message (an admin's also quotes the
    upstream's words) unless status_code_mapping already chose another status. `detail` keeps
    the upstream's text for the operator's log, secrets removed.
    """
    if err.local:
        return err
    secrets = tuple(secrets)
    raw = str(err.error_object().get("message") or err.message)
    detail = redact_secrets(raw, secrets)
    if err.upstream_status in UPSTREAM_AUTH_STATUS:
        status = CHANNEL_AUTH_STATUS if err.status in UPSTREAM_AUTH_STATUS else err.status
        message = f"{CHANNEL_AUTH_MESSAGE} (upstream said: {detail})" if admin else CHANNEL_AUTH_MESSAGE
        return RelayError(status, message, code="channel_auth_failed", type="upstream_error", local=False,
                          upstream_status=err.upstream_status, detail=detail)

    def clean(text: str) -> str:
        return redact_secrets(text, secrets) if admin else redact(text, secrets)

    return RelayError(
        err.status,
        clean(err.message),
        code=err.code,
        type=err.type,
        param=clean(err.param),
        local=False,
        passthrough=_scrub(err.passthrough, clean) if err.passthrough is not None else None,
        upstream_status=err.upstream_status,
        detail=detail,
    )
