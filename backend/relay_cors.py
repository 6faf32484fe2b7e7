"""CORS for the relay: any origin, never credentials.

The relay authenticates with API keys in headers, so browsers on any site may call it, but no
cookie may ride along. The console and the rest of `/api` stay same-origin. This wraps the whole
ASGI app because an outer CORS layer (Reflex adds one around everything it serves) would otherwise
reject foreign preflights before the relay saw them.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

# Paths called with an API key (new-api: the relay, the billing endpoints and the per-key log lookup).
OPEN_PREFIXES = ("/v1/", "/v1beta/", "/dashboard/billing/", "/api/log/token",
                 "/mj/", "/suno/", "/kling/")  # the task relays, which take keys too
_MJ_MODE = ("/mj-fast/mj/", "/mj-relax/mj/", "/mj-turbo/mj/", "/fast/mj/", "/relax/mj/", "/turbo/mj/")
_ALLOW_METHODS = b"GET, POST, PUT, PATCH, DELETE, OPTIONS"
_MAX_AGE = b"86400"


def is_open_path(path: str) -> bool:
    return path in ("/v1", "/v1beta") or path.startswith(OPEN_PREFIXES) or path.startswith(_MJ_MODE)


def open_headers(headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    """A response's headers with any origin, no credentials (whatever CORS headers it had)."""
    kept = [(k, v) for k, v in headers if not k.lower().startswith(b"access-control-")]
    kept += [(b"access-control-allow-origin", b"*"), (b"access-control-expose-headers", b"*")]
    return kept


class RelayCORS:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not is_open_path(scope["path"]):
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        if b"origin" not in headers:
            await self.app(scope, receive, send)
            return
        if scope["method"] == "OPTIONS" and b"access-control-request-method" in headers:
            await self._preflight(headers, send)
            return

        async def send_open(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": open_headers(list(message.get("headers", [])))}
            await send(message)

        await self.app(scope, receive, send_open)

    @staticmethod
    async def _preflight(headers: dict[bytes, bytes], send: Send) -> None:
        # "*" in Allow-Headers does not cover Authorization, so echo what the browser asks for.
        requested = headers.get(b"access-control-request-headers", b"")
        out = [
            (b"access-control-allow-origin", b"*"),
            (b"access-control-allow-methods", _ALLOW_METHODS),
            (b"access-control-max-age", _MAX_AGE),
            (b"vary", b"Access-Control-Request-Headers"),
            (b"content-length", b"0"),
        ]
        if requested:
            out.append((b"access-control-allow-headers", requested))
        await send({"type": "http.response.start", "status": 204, "headers": out})
        await send({"type": "http.response.body", "body": b""})
