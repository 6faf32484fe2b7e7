"""/playground: chat with a model through the real relay, with one of the user's own API keys.

How: a background event handler posts the conversation to this server's own
`http://127.0.0.1:<PORT>/v1/chat/completions` with httpx, `stream: true`, authorised with the chosen
key, and appends each SSE delta to the last message as it arrives. Going over loopback HTTP (instead
of calling the pipeline in-process) means the call takes exactly the path an SDK's would: key auth,
model limits, group routing, retries, billing and the usage log all apply, and nothing in the relay
needs a console-specific entry point. The key is read (unmasked) from the tokens service only inside
the handler and never reaches the browser. PORT is the gateway's own setting, the port it serves on.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import reflex as rx

from backend.config import get_settings
from backend.models import User
from backend.models.enums import TokenStatus
from backend.services import tokens, users
from backend.services.errors import ServiceError
from newapi_ui import backend_bridge
from newapi_ui.i18n import N_
from newapi_ui.states.auth import AuthState

MAX_KEYS = 100  # a user's keys listed for the picker (MaxUserTokens is far lower in practice)
TIMEOUT = httpx.Timeout(connect=10.0, read=300.0, write=30.0, pool=10.0)
NO_ANSWER = N_("The model sent no answer")
FAILED = N_("The request failed")


def relay_url() -> str:
    return f"http://127.0.0.1:{get_settings().PORT}/v1/chat/completions"


def _key_choices(user: User) -> list[dict[str, Any]]:
    rows, _total = tokens.list_tokens(user.id or 0, 1, MAX_KEYS)
    return [r.model_dump() for r in rows if r.status == TokenStatus.ENABLED]


def models_for_key(user: User, key: dict[str, Any]) -> list[str]:
    """The key's model whitelist when it has one, else every model routable in the key's group."""
    if key["model_limits_enabled"]:
        return sorted({m.strip() for m in str(key["model_limits"]).split(",") if m.strip()})
    return users.models_for_group(key["group"] or user.group)


def _reveal(user_id: int, key_id: int) -> str:
    return tokens.reveal_key(user_id, key_id)


def error_message(status: int, body: bytes) -> str:
    try:
        data = json.loads(body)
    except ValueError:
        return f"HTTP {status}"
    err = data.get("error") if isinstance(data, dict) else None
    if isinstance(err, dict) and err.get("message"):
        return str(err["message"])
    return f"HTTP {status}"


def delta_of(line: str) -> str | None:
    """The text of one SSE `data:` line; None at the end of the stream."""
    payload = line[5:].strip()
    if payload == "[DONE]":
        return None
    try:
        chunk = json.loads(payload)
    except ValueError:
        return ""
    choices = chunk.get("choices") if isinstance(chunk, dict) else None
    if not choices:
        return ""
    delta = choices[0].get("delta") or {}
    return str(delta.get("content") or "")


class PlaygroundState(AuthState):
    keys: list[list[str]] = []  # [id, name]
    key_id: str = ""
    models: list[str] = []
    model: str = ""
    messages: list[dict[str, str]] = []
    streaming: bool = False
    error: str = ""
    _stop: bool = False
    _key_rows: dict[str, dict[str, Any]] = {}

    @rx.event
    async def on_load(self):  # noqa: ANN201
        redirect = await self.guard_user()
        if redirect is not None:
            return redirect
        user = await self.current_user()
        if user is None:
            return self._to_login()
        rows = await backend_bridge.call(_key_choices, user)
        self._key_rows = {str(r["id"]): r for r in rows}
        self.keys = [[str(r["id"]), r["name"]] for r in rows]
        if self.key_id not in self._key_rows:
            self.key_id = self.keys[0][0] if self.keys else ""
        await self._load_models(user)
        return None

    async def _load_models(self, user: User) -> None:
        row = self._key_rows.get(self.key_id)
        self.models = await backend_bridge.call(models_for_key, user, row) if row else []
        if self.model not in self.models:
            self.model = self.models[0] if self.models else ""

    @rx.event
    async def set_key(self, value: str):  # noqa: ANN201
        user = await self.current_user()
        if user is None:
            return self._to_login()
        if value in self._key_rows:
            self.key_id = value
            await self._load_models(user)
        return None

    @rx.event
    def set_model(self, value: str) -> None:
        if value in self.models:
            self.model = value

    @rx.event
    def clear(self) -> None:
        if not self.streaming:
            self.messages, self.error = [], ""

    @rx.event
    def stop(self) -> None:
        self._stop = True

    @rx.event(background=True)
    async def send(self, form: dict[str, Any]):  # noqa: ANN201
        text = str(form.get("prompt") or "").strip()
        async with self:
            if self.streaming or not text:
                return None
            user = await self.current_user()
            if user is None:
                return self._to_login()
            if not self.key_id or not self.model:
                return rx.toast.error(self.tr("Pick an API key and a model first"))
            self.messages = [*self.messages, {"role": "user", "content": text}]
            history = list(self.messages)
            self.messages = [*self.messages, {"role": "assistant", "content": ""}]
            self.streaming, self.error, self._stop = True, "", False
            key_id, model, user_id = int(self.key_id), self.model, user.id or 0
        refusal: ServiceError | None = None
        try:
            key = await backend_bridge.call(_reveal, user_id, key_id)
            error = await self._stream(key, model, history)
        except ServiceError as exc:
            error, refusal = "", exc
        except httpx.HTTPError:
            error = FAILED
        async with self:
            self.streaming = False
            if refusal is not None:
                self.error = self.tr_error(refusal)
            elif error:
                self.error = self.tr(error)
            elif not self.messages[-1]["content"]:
                self.error = self.tr(NO_ANSWER)
            if self.messages and not self.messages[-1]["content"]:
                self.messages = self.messages[:-1]
        return rx.set_value("prompt", "") if not error else None

    async def _stream(self, key: str, model: str, history: list[dict[str, str]]) -> str:
        """Relay the chat; returns an error message, or "" on success."""
        body = {"model": model, "messages": history, "stream": True}
        headers = {"Authorization": f"Bearer {key}"}
        async with (httpx.AsyncClient(timeout=TIMEOUT) as client,
                    client.stream("POST", relay_url(), json=body, headers=headers) as resp):
            if resp.status_code != 200:
                return error_message(resp.status_code, await resp.aread())
            async for line in resp.aiter_lines():
                if not line.startswith("data:"):
                    continue
                delta = delta_of(line)
                if delta is None:
                    break
                if not delta:
                    continue
                async with self:
                    last = self.messages[-1]
                    self.messages = [*self.messages[:-1], {**last, "content": last["content"] + delta}]
                    if self._stop:
                        break
        return ""
