"""Per-request state of a relay call, and the request id every response carries."""

from __future__ import annotations

import os
import string
import time
from dataclasses import dataclass, field
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from backend.relay.adaptors.base import RelayFormat
from backend.relay.auth import Caller
from backend.relay.convert.multipart import Form
from backend.relay.errors import REQUEST_ID_HEADER

_ALNUM = string.ascii_letters + string.digits
# Random byte -> alphanumeric in one C-level pass: 8 bytes from one urandom call make the tail.
# (256 is not a multiple of 62, so a few letters are slightly likelier; ids need uniqueness,
# which ~47 bits of tail per nanosecond give, not uniformity.)
_TO_ALNUM = bytes(ord(_ALNUM[b % len(_ALNUM)]) for b in range(256))
_stamp_second = -1
_stamp = ""


def new_request_id() -> str:
    """Sortable by time, unique by its random tail (new-api's shape: time + nanos + 8 chars)."""
    global _stamp_second, _stamp
    now = time.time_ns()
    second, nanos = divmod(now, 1_000_000_000)
    if second != _stamp_second:
        _stamp, _stamp_second = time.strftime("%Y%m%d%H%M%S", time.gmtime(second)), second
    return f"{_stamp}{nanos:09d}{os.urandom(8).translate(_TO_ALNUM).decode()}"


def request_id_of(scope: Scope) -> str:
    state = scope.get("state") or {}
    rid = state.get("request_id") if isinstance(state, dict) else None
    return rid or ""


class RequestIdMiddleware:
    """Gives every request an id (in `scope["state"]["request_id"]`) and every response the
    `X-Oneapi-Request-Id` header, whatever produced it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rid = new_request_id()
        scope.setdefault("state", {})["request_id"] = rid
        header = (REQUEST_ID_HEADER.lower().encode(), rid.encode())

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != header[0]]
                headers.append(header)
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_id)


@dataclass(slots=True)
class RelayContext:
    """What one relay call knows; the retry loop adds the channels it tried."""

    request_id: str
    fmt: RelayFormat
    path: str
    caller: Caller
    model: str  # the client's model name: routing, billing and logs use it
    body: dict[str, Any]
    raw: bytes  # the body as received, re-parsed for each retry so adaptors cannot leak edits
    stream: bool
    include_usage: bool  # the client asked for the usage chunk
    query: dict[str, str] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)  # lower-case names
    started_at: float = field(default_factory=time.time)
    prompt_tokens: int = 0  # local count, or only the reservation's estimate until prompt_counted
    prompt_counted: bool = False
    tried: list[int] = field(default_factory=list)
    form: Form | None = None  # a multipart body, parsed (`raw` is what goes upstream)
    content_type: str = ""
    span: Any = None  # the call's OpenTelemetry span (observability/tracing.py); None when tracing is off
    auto_next: tuple[str, ...] = ()  # an `auto` call: the groups still to try, in order, after caller.group
