"""The gateway's size guard for every route FastAPI serves (the hot relay POSTs skip FastAPI and
apply the same limits themselves: `relay/routes.serve_hot`, `relay/body.py`).

A pure ASGI middleware, so nothing is buffered here: the body keeps streaming to the app, and
`receive` is wrapped to count it. Limits:
- total header bytes over `MAX_HEADER_BYTES`: 431;
- body over the route's limit (`/api`: MAX_API_BODY_KB; anything else: MAX_REQUEST_BODY_MB): 413
  at once on a Content-Length that says so, else as soon as the bytes received pass the limit
  (chunked bodies declare nothing). The refusal is sent from here; the app is told the client left,
  and whatever it answers to that is dropped.
Replies are in the caller's format: the envelope on `/api` (and the console), OpenAI's error under
`/v1`.
"""

from __future__ import annotations

from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from backend.api.responses import fail
from backend.config import get_settings
from backend.http_limits import HEADERS_TOO_LARGE, BodyBudget, BodyTooLarge, headers_too_large
from backend.relay import errors
from backend.relay.body import too_large
from backend.relay.context import new_request_id, request_id_of

_DISCONNECT: Message = {"type": "http.disconnect"}


def _is_api(path: str) -> bool:
    return path == "/api" or path.startswith("/api/")


def _is_relay(path: str) -> bool:
    return path == "/v1" or path.startswith(("/v1/", "/v1beta/"))


def _limit(path: str) -> int:
    s = get_settings()
    return s.max_api_body_bytes if _is_api(path) else s.max_body_bytes


def _refusal(scope: Scope, status: int, limit: int = 0) -> Response:
    path = scope["path"]
    if _is_relay(path):
        err = too_large(limit) if status == 413 else errors.header_fields_too_large()
        return errors.error_response(err, request_id_of(scope) or new_request_id())
    if status == 413:
        size = f"{limit // 1024} KB" if _is_api(path) else f"{limit // (1024 * 1024)} MB"
        return fail(f"request body too large (limit {size})", 413)
    return fail(HEADERS_TOO_LARGE, 431)


class RequestLimits:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if headers_too_large(scope):
            await _refusal(scope, 431)(scope, receive, send)
            return
        budget = BodyBudget(_limit(scope["path"]))
        try:
            budget.declare(_content_length(scope))
        except BodyTooLarge:
            await _refusal(scope, 413, budget.limit)(scope, receive, send)
            return
        await self.app(scope, *_guarded(scope, receive, send, budget))


def _content_length(scope: Scope) -> str | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            return value.decode("latin-1")
    return None


def _guarded(scope: Scope, receive: Receive, send: Send, budget: BodyBudget) -> tuple[Receive, Send]:
    """`receive` counting body bytes, and `send` that goes quiet once the guard has answered."""
    started = False  # the app began its response (then a refusal can only cut the body short)
    refused = False

    async def limited_receive() -> Message:
        nonlocal refused
        if refused:
            return _DISCONNECT
        message = await receive()
        if message["type"] == "http.request":
            try:
                budget.take(len(message.get("body", b"")))
            except BodyTooLarge:
                refused = True
                if not started:
                    await _refusal(scope, 413, budget.limit)(scope, receive, send)
                return _DISCONNECT
        return message

    async def guarded_send(message: Message) -> None:
        nonlocal started
        if refused:
            return
        if message["type"] == "http.response.start":
            started = True
        await send(message)

    return limited_receive, guarded_send
