"""A fake Telegram Bot API over real HTTP (`<url>/bot<token>/<method>`), for the bot-login tests.

    with FakeBotAPI(token) as fake:          # point TELEGRAM_API_BASE at fake.url
        fake.queue_update({...})             # what the next getUpdates returns
        fake.sent                            # sendMessage calls: [{"chat_id": ..., "text": ...}]

It answers getMe, sendMessage, deleteWebhook and getUpdates (long poll capped at one second,
honouring `offset`), in the Bot API's `{ok, result}` envelope; a wrong token gets 401 as the real
API answers. Parameters arrive as python-telegram-bot sends them (form fields, JSON-encoded values).
"""

from __future__ import annotations

import asyncio
import json
import threading
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from tests.conftest import LiveServer

LONG_POLL_CAP_S = 1.0


def start_update(update_id: int, telegram_id: int, text: str, username: str = "tguser",
                 first_name: str = "Tele") -> dict[str, Any]:
    """A private-chat message Update as Telegram sends it."""
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id, "date": 1_700_000_000, "text": text,
            "chat": {"id": telegram_id, "type": "private", "first_name": first_name},
            "from": {"id": telegram_id, "is_bot": False, "first_name": first_name, "username": username},
            "entities": [{"type": "bot_command", "offset": 0, "length": 6}] if text.startswith("/start") else [],
        },
    }


@dataclass
class FakeBotAPI:
    token: str
    username: str = "newapi_bot"
    sent: list[dict[str, Any]] = field(default_factory=list)
    calls: list[str] = field(default_factory=list)
    updates: list[dict[str, Any]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _server: LiveServer | None = None

    @property
    def url(self) -> str:
        assert self._server is not None
        return self._server.url

    def queue_update(self, update: dict[str, Any]) -> None:
        with self._lock:
            self.updates.append(update)

    @staticmethod
    async def _params(request: Request) -> dict[str, Any]:
        raw = (await request.body()).decode()
        if not raw:
            return {}
        if request.headers.get("content-type", "").startswith("application/json"):
            return json.loads(raw)
        out: dict[str, Any] = {}
        for key, values in parse_qs(raw).items():
            try:
                out[key] = json.loads(values[0])
            except ValueError:
                out[key] = values[0]
        return out

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.post("/bot{token}/{method}")
        async def method(token: str, method: str, request: Request) -> JSONResponse:
            if token != self.token:
                return JSONResponse({"ok": False, "error_code": 401, "description": "Unauthorized"}, 401)
            params = await self._params(request)
            self.calls.append(method)
            if method == "getMe":
                return JSONResponse({"ok": True, "result": {"id": 1, "is_bot": True, "first_name": "Bot",
                                                            "username": self.username}})
            if method == "sendMessage":
                self.sent.append({"chat_id": int(params["chat_id"]), "text": params["text"]})
                return JSONResponse({"ok": True, "result": {
                    "message_id": len(self.sent), "date": 1_700_000_000, "text": params["text"],
                    "chat": {"id": int(params["chat_id"]), "type": "private"}}})
            if method == "deleteWebhook":
                return JSONResponse({"ok": True, "result": True})
            if method == "getUpdates":
                offset = int(params.get("offset") or 0)
                waited = 0.0
                while True:
                    with self._lock:
                        ready = [u for u in self.updates if u["update_id"] >= offset]
                    if ready or waited >= min(float(params.get("timeout") or 0), LONG_POLL_CAP_S):
                        return JSONResponse({"ok": True, "result": ready})
                    await asyncio.sleep(0.05)
                    waited += 0.05
            return JSONResponse({"ok": False, "error_code": 404, "description": "Not Found"}, 404)

        return app

    def __enter__(self) -> FakeBotAPI:
        self._server = LiveServer(self.app()).__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._server is not None:
            self._server.__exit__(*exc)
