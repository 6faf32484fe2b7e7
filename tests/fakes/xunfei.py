"""A fake Xunfei Spark WebSocket chat API (`/{version}/chat`), served with `websockets` on a
loopback port in a thread of its own.

The handshake is refused with 401 and Spark's `{"message": ...}` unless the query's
`authorization` is the HMAC-SHA256 signature of host / date / request line under SECRET for KEY,
with a date within five minutes. The request frame must name APP_ID and the version's domain;
the reply is one frame per piece of the fake text (`status` 0, 1..., 2 on the last, which carries
the usage). A prompt containing "audit" gets Spark's error frame (code 10013); one containing
"cut" has the connection dropped mid-reply.

    with FakeXunfei() as xf:
        make_channel(xf.url, "SparkDesk-v3.5", type_=18, key=CHANNEL_KEY); xf.frames[-1]
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import re
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qs, urlsplit

import orjson
from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.http11 import Request, Response

from tests.fakes import openai_wire as ow
from tests.support import free_port, wait_until

APP_ID, SECRET, KEY = "fake-app", "fake-secret", "fake-key"
CHANNEL_KEY = f"{APP_ID}|{SECRET}|{KEY}"
DOMAINS = {"v1.1": "lite", "v3.5": "generalv3.5", "v4.0": "4.0Ultra"}
PROMPT_TOKENS, COMPLETION_TOKENS = 15, 8
_AUTH = re.compile(r'hmac username="([^"]*)", algorithm="hmac-sha256", headers="host date request-line", '
                   r'signature="([^"]*)"')


def _signature(host: str, date: str, path: str) -> str:
    signed = f"host: {host}\ndate: {date}\nGET {path} HTTP/1.1"
    return base64.b64encode(hmac.new(SECRET.encode(), signed.encode(), hashlib.sha256).digest()).decode()


def auth_problem(path_and_query: str, host: str) -> str | None:
    parts = urlsplit(path_and_query)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    try:
        decoded = base64.b64decode(query.get("authorization", "")).decode()
        when = parsedate_to_datetime(query.get("date", ""))
    except (ValueError, TypeError):
        return "malformed authorization"
    match = _AUTH.fullmatch(decoded)
    if query.get("host") != host or match is None or match.group(1) != KEY:
        return "HMAC signature cannot be verified"
    if abs((datetime.now(UTC) - when).total_seconds()) > 300:
        return "HMAC signature cannot be verified, a valid date or x-date header is required"
    if not hmac.compare_digest(match.group(2), _signature(host, query["date"], parts.path)):
        return "HMAC signature does not match"
    return None


def _frame(sid: str, seq: int, text: str, last: bool, code: int = 0, message: str = "Success") -> dict:
    payload: dict[str, Any] = {"choices": {"status": 2 if last else (0 if seq == 0 else 1), "seq": seq,
                                           "text": [{"content": text, "role": "assistant", "index": 0}]}}
    if last:
        payload["usage"] = {"text": {"question_tokens": 4, "prompt_tokens": PROMPT_TOKENS,
                                     "completion_tokens": COMPLETION_TOKENS,
                                     "total_tokens": PROMPT_TOKENS + COMPLETION_TOKENS}}
    return {"header": {"code": code, "message": message, "sid": sid, "status": 2 if last else 1}, "payload": payload}


@dataclass
class FakeXunfei:
    frames: list[dict] = field(default_factory=list)  # request frames received
    paths: list[str] = field(default_factory=list)  # handshake paths (with the signed query)
    url: str = ""

    def __post_init__(self) -> None:
        self._loop = asyncio.new_event_loop()
        self._server: Server | None = None
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)

    def __enter__(self) -> FakeXunfei:
        port = free_port()
        self.url = f"http://127.0.0.1:{port}"  # the channel's base URL, as an admin would enter it
        self._thread.start()
        started = asyncio.run_coroutine_threadsafe(self._start(port), self._loop)
        started.result(timeout=10)
        wait_until(lambda: self._server is not None, "the fake Xunfei server to start", 10)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._server is not None:
            self._server.close()
            asyncio.run_coroutine_threadsafe(self._server.wait_closed(), self._loop).result(timeout=10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)

    async def _start(self, port: int) -> None:
        self._server = await serve(self._chat, "127.0.0.1", port, process_request=self._handshake)

    def _handshake(self, connection: ServerConnection, request: Request) -> Response | None:
        self.paths.append(request.path)
        path = urlsplit(request.path).path
        version = path.removeprefix("/").removesuffix("/chat")
        if not path.endswith("/chat") or version not in DOMAINS:
            return connection.respond(HTTPStatus.NOT_FOUND, '{"message":"no such API version"}\n')
        problem = auth_problem(request.path, request.headers.get("Host", ""))
        if problem:
            return connection.respond(HTTPStatus.UNAUTHORIZED, orjson.dumps({"message": problem}).decode())
        return None

    async def _chat(self, ws: ServerConnection) -> None:
        version = urlsplit(ws.request.path).path.removeprefix("/").removesuffix("/chat") if ws.request else ""
        frame = orjson.loads(await ws.recv())
        self.frames.append(frame)
        sid = f"cht000-{len(self.frames)}"
        chat = (frame.get("parameter") or {}).get("chat") or {}
        text = ((frame.get("payload") or {}).get("message") or {}).get("text") or []
        if (frame.get("header") or {}).get("app_id") != APP_ID:
            await ws.send(orjson.dumps(_frame(sid, 0, "", True, 10313, "app_id does not match")).decode())
            return
        if chat.get("domain") != DOMAINS[version] or not text:
            await ws.send(orjson.dumps(_frame(sid, 0, "", True, 10163, "invalid domain or empty text")).decode())
            return
        prompt = "".join(str(t.get("content")) for t in text)
        if "audit" in prompt:
            await ws.send(orjson.dumps(_frame(sid, 0, "", True, 10013, "input content is not compliant")).decode())
            return
        pieces = ow.REPLY_PIECES
        for seq, piece in enumerate(pieces):
            if "cut" in prompt and seq == 2:
                ws.transport.abort()  # no close frame: the connection just drops
                return
            await ws.send(orjson.dumps(_frame(sid, seq, piece, seq == len(pieces) - 1)).decode())
