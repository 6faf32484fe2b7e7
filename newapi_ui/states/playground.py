"""/playground: chat with a model through the real relay, with one of the user's own API keys.

How: a background event handler posts the conversation to this server's own
`http://127.0.0.1:<PORT>/v1/chat/completions` with httpx, authorised with the chosen key. With the
stream toggle on (the default) it asks for `stream: true` and appends each SSE delta to the last
message as it arrives; off, it reads the one JSON answer's `choices[0].message.content`. Going over loopback HTTP (instead
of calling the pipeline in-process) means the call takes exactly the path an SDK's would: key auth,
model limits, group routing, retries, billing and the usage log all apply, and nothing in the relay
needs a console-specific entry point. The key is read (unmasked) from the tokens service only inside
the handler and never reaches the browser. PORT is the gateway's own setting, the port it serves on.
"""

from __future__ import annotations

import asyncio
import json
import math
from collections.abc import Callable
from typing import Any

import httpx
import reflex as rx
from reflex.event import EventSpec

from backend.config import get_settings
from backend.models import User
from backend.models.enums import TokenStatus
from backend.services import pricing, tokens, users
from backend.services.errors import ServiceError
from newapi_ui import backend_bridge
from newapi_ui.i18n import N_
from newapi_ui.states.auth import AuthState

MAX_KEYS = 100  # a user's keys listed for the picker (MaxUserTokens is far lower in practice)
TIMEOUT = httpx.Timeout(connect=10.0, read=300.0, write=30.0, pool=10.0)
NO_ANSWER = N_("The model sent no answer")
FAILED = N_("The request failed")
FAILED_WITH = N_("The model call failed: {detail}")
BAD_TEMPERATURE = N_("Temperature is a number from 0 to 2")
MAX_TEMPERATURE = 2.0
STOP_POLL_S = 0.25  # how often a call in flight checks the Stop button
Message = dict[str, str]


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


def models_and_priced(user: User, key: dict[str, Any]) -> tuple[list[str], set[str]]:
    """The key's models, and those of them the price list prices (billing refuses the others
    unless self-use mode is on, so they make a poor default)."""
    models = models_for_key(user, key)
    return models, {m for m in models if pricing.is_priced(m)}


def default_model(models: list[str], priced: set[str], chosen: str = "") -> str:
    """The user's own last choice when the key allows it, else the first priced model, else the
    first allowed one: the alphabetically first model is often unpriced and its first call fails."""
    if chosen in models:
        return chosen
    return next((m for m in models if m in priced), models[0] if models else "")


def parse_temperature(text: str) -> float | None:
    """The temperature field: None when blank (the model's own default is used), else a number in
    0..2 (OpenAI's range); ValueError for anything else."""
    text = text.strip().replace(",", ".")
    if not text:
        return None
    value = float(text)
    if not (math.isfinite(value) and 0.0 <= value <= MAX_TEMPERATURE):
        raise ValueError(text)
    return value


def build_body(model: str, history: list[Message], system: str, temperature: float | None,
               stream: bool) -> dict[str, Any]:
    """The chat request: the system prompt, when given, goes first as a `system` message (it is
    never shown in the chat log); temperature only when set."""
    messages = [{"role": "system", "content": system}] if system.strip() else []
    body: dict[str, Any] = {"model": model, "messages": [*messages, *history], "stream": stream}
    if temperature is not None:
        body["temperature"] = temperature
    return body


def answer_of(raw: bytes) -> str | None:
    """The text of a non-streamed answer (`choices[0].message.content`, a string or text parts);
    None when the body has no such text."""
    try:
        data = json.loads(raw)
    except ValueError:
        return None
    choices = data.get("choices") if isinstance(data, dict) else None
    first = choices[0] if isinstance(choices, list) and choices else None
    message = first.get("message") if isinstance(first, dict) else None
    content = message.get("content") if isinstance(message, dict) else None
    if isinstance(content, list):
        content = "".join(str(p.get("text") or "") for p in content if isinstance(p, dict))
    return content if isinstance(content, str) else None


def history_for_send(messages: list[Message], text: str) -> list[Message]:
    """The history a new message is sent with. A trailing user message is one whose call failed
    (an answer always follows a success): the new text replaces it, so a retry holds it once."""
    kept = messages[:-1] if messages and messages[-1]["role"] == "user" else messages
    return [*kept, {"role": "user", "content": text}]


def history_for_regenerate(messages: list[Message]) -> list[Message] | None:
    """The history sent again by Regenerate: without the last answer (or as it is after a failed
    call); None when there is no user message to answer."""
    kept = messages[:-1] if messages and messages[-1]["role"] == "assistant" else messages
    return kept if kept and kept[-1]["role"] == "user" else None


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


def detail_of(line: str) -> str | None:
    """The message of an error event inside an SSE stream (a provider failing mid-answer), else None."""
    try:
        chunk = json.loads(line[5:].strip())
    except ValueError:
        return None
    err = chunk.get("error") if isinstance(chunk, dict) else None
    if not isinstance(err, dict):
        return None
    return str(err.get("message") or "") or "error"


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
    system_prompt: str = ""
    temperature: str = ""  # as typed; parse_temperature reads it at send time
    stream: bool = True
    streaming: bool = False
    error: str = ""
    _stop: bool = False
    _chosen: str = ""  # the model the user picked last in this tab, kept across keys and reloads
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
        models, priced = await backend_bridge.call(models_and_priced, user, row) if row else ([], set())
        self.models = models
        self.model = default_model(models, priced, self._chosen)

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
            self.model = self._chosen = value

    @rx.event
    def set_system_prompt(self, value: str) -> None:
        self.system_prompt = value

    @rx.event
    def set_temperature(self, value: str) -> None:
        self.temperature = value

    @rx.event
    def set_stream(self, value: bool) -> None:
        self.stream = bool(value)

    @rx.var
    def temperature_invalid(self) -> bool:
        try:
            parse_temperature(self.temperature)
        except ValueError:
            return True
        return False

    @rx.var
    def can_regenerate(self) -> bool:
        return not self.streaming and history_for_regenerate(self.messages) is not None

    @rx.event
    def clear(self) -> None:
        if not self.streaming:
            self.messages, self.error = [], ""

    @rx.event
    def stop(self) -> None:
        self._stop = True

    @rx.event
    def copy_message(self, index: int) -> list[EventSpec] | None:
        if not 0 <= index < len(self.messages):
            return None
        return [rx.set_clipboard(self.messages[index]["content"]), rx.toast.success(self.tr("Copied"))]

    @rx.event(background=True)
    async def send(self, form: dict[str, Any]):  # noqa: ANN201
        text = str(form.get("prompt") or "").strip()
        if not text:
            return None
        done, away = await self._converse(lambda history: history_for_send(history, text))
        return away or (rx.set_value("prompt", "") if done else None)

    @rx.event(background=True)
    async def regenerate(self):  # noqa: ANN201
        _done, away = await self._converse(history_for_regenerate)
        return away

    async def _converse(self, make_history: Callable[[list[Message]], list[Message] | None],
                        ) -> tuple[bool, EventSpec | None]:
        """Send the history `make_history` makes of the chat log: (an answer came back, the
        redirect to login when the session is gone). On a failure the history stays as sent
        (ending with the user's message) and nothing is added as an answer, so Send or Regenerate
        retries it without a duplicate."""
        async with self:
            if self.streaming:
                return False, None
            user = await self.current_user()
            if user is None:
                return False, self._to_login()
            if not self.key_id or not self.model:
                self.error = self.tr("Pick an API key and a model first")
                return False, None
            history = make_history(self.messages)
            if history is None:
                return False, None
            try:
                temperature = parse_temperature(self.temperature)
            except ValueError:
                self.error = self.tr(BAD_TEMPERATURE)
                return False, None
            body = build_body(self.model, history, self.system_prompt, temperature, self.stream)
            self.messages = [*history, {"role": "assistant", "content": ""}]
            self.streaming, self.error, self._stop = True, "", False
            key_id, user_id = int(self.key_id), user.id or 0
        refusal: ServiceError | None = None
        try:
            key = await backend_bridge.call(_reveal, user_id, key_id)
            error = await self._call(key, body)
        except ServiceError as exc:
            error, refusal = "", exc
        except httpx.HTTPError:
            error = self.tr(FAILED)
        async with self:
            self.streaming = False
            answered = bool(self.messages and self.messages[-1]["content"])
            if refusal is not None:
                self.error = self.tr_error(refusal)
            elif error:
                self.error = error
            elif not answered and not self._stop:
                self.error = self.tr(NO_ANSWER)
            if self.messages and self.messages[-1]["role"] == "assistant" and (error or refusal or not answered):
                self.messages = self.messages[:-1]  # a failed call adds no answer (a partial stream neither)
            return bool(answered and not (error or refusal)), None

    def _failed(self, status: int, raw: bytes) -> str:
        return self.tr(FAILED_WITH).format(detail=error_message(status, raw))

    async def _call(self, key: str, body: dict[str, Any]) -> str:
        """Run the call while watching the Stop button: a stop cancels it whether it is waiting for
        a whole answer or for the next delta of a stream (the text streamed so far stays). Returns
        an error message, or "" on success or stop."""
        work = asyncio.ensure_future(self._stream(key, body) if body["stream"] else self._answer(key, body))
        try:
            while not (await asyncio.wait({work}, timeout=STOP_POLL_S))[0]:
                async with self:
                    if self._stop:
                        return ""
        finally:
            if not work.done():
                work.cancel()
                await asyncio.gather(work, return_exceptions=True)  # let httpx close the connection
        return work.result()

    async def _answer(self, key: str, body: dict[str, Any]) -> str:
        """One JSON answer (stream off); returns an error message, or "" on success."""
        async with httpx.AsyncClient(timeout=TIMEOUT) as client:
            resp = await client.post(relay_url(), json=body, headers={"Authorization": f"Bearer {key}"})
        if resp.status_code != 200:
            return self._failed(resp.status_code, resp.content)
        text = answer_of(resp.content)
        if text is None:
            return self.tr(NO_ANSWER)
        async with self:
            self.messages = [*self.messages[:-1], {"role": "assistant", "content": text}]
        return ""

    async def _stream(self, key: str, body: dict[str, Any]) -> str:
        """Relay the chat as SSE; returns an error message, or "" on success."""
        headers = {"Authorization": f"Bearer {key}"}
        async with (httpx.AsyncClient(timeout=TIMEOUT) as client,
                    client.stream("POST", relay_url(), json=body, headers=headers) as resp):
            if resp.status_code != 200:
                return self._failed(resp.status_code, await resp.aread())
            async for line in resp.aiter_lines():
                if not line.startswith("data:"):
                    continue
                detail = detail_of(line)
                if detail is not None:
                    return self.tr(FAILED_WITH).format(detail=detail)
                delta = delta_of(line)
                if delta is None:
                    break
                if not delta:
                    continue
                async with self:
                    last = self.messages[-1]
                    self.messages = [*self.messages[:-1], {**last, "content": last["content"] + delta}]
        return ""
