"""CORS: the relay is callable from any web page, but never with the user's cookies.

`/v1/*` (and the few public /api routes new-api opens) answer any origin with
`Access-Control-Allow-Origin: *` and no `Allow-Credentials`, so a browser will not attach the
console's session cookie. The console and the rest of `/api` get no CORS headers: same origin only.
A pure ASGI middleware, because it sits on the relay's hot path.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

OPEN_PREFIXES = ("/v1/", "/v1beta/", "/api/log/token", "/dashboard/billing/")
_ALLOW_METHODS = b"GET, POST, PUT, PATCH, DELETE, OPTIONS"


def is_open(path: str) -> bool:
    return path.startswith(OPEN_PREFIXES) or path == "/v1"


class RelayCORS:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not is_open(scope["path"]):
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        if scope["method"] == "OPTIONS" and b"access-control-request-method" in headers:
            requested = headers.get(b"access-control-request-headers", b"")
            reply = [
                (b"access-control-allow-origin", b"*"),
                (b"access-control-allow-methods", _ALLOW_METHODS),
                (b"access-control-max-age", b"86400"),
                (b"content-length", b"0"),
            ]
            if requested:
                reply.append((b"access-control-allow-headers", requested))
            await send({"type": "http.response.start", "status": 204, "headers": reply})
            await send({"type": "http.response.body", "body": b""})
            return

        async def send_with_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                kept = [(k, v) for k, v in message.get("headers", []) if not k.lower().startswith(b"access-control-")]
                kept.append((b"access-control-allow-origin", b"*"))
                kept.append((b"access-control-expose-headers", b"X-Oneapi-Request-Id"))
                message["headers"] = kept
            await send(message)

        await self.app(scope, receive, send_with_cors)
