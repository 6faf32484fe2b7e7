"""Zhipu's v3 model API (channel type 16): OpenAI chat <-> `prompt` bodies, the reply envelope
`{code, msg, success, data}`, its `data:`/`meta:` stream lines, and the HS256 JWT it takes as
`Authorization` (signed with the secret half of an "id.secret" key), as new-api builds them."""

from __future__ import annotations

import base64
import hashlib
import hmac
from typing import Any

import orjson

from backend.json_shape import object_at
from backend.relay.sse import SSEEvent, SSELineTooLong

TOKEN_LIFETIME_MS = 24 * 3600 * 1000


class ZhipuKeyError(ValueError):
    """The channel key is not Zhipu's "id.secret"."""


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def zhipu_token(key: str, now_ms: int) -> str:
    """The JWT for an "id.secret" key: HS256 with Zhipu's `sign_type: SIGN` header, valid 24h."""
    kid, sep, secret = key.strip().partition(".")
    if not sep or not kid or not secret or "." in secret:
        raise ZhipuKeyError('a Zhipu key is "<id>.<secret>"')
    head = _b64(orjson.dumps({"alg": "HS256", "sign_type": "SIGN", "typ": "JWT"}))
    claims = _b64(orjson.dumps({"api_key": kid, "exp": now_ms + TOKEN_LIFETIME_MS, "timestamp": now_ms}))
    sig = hmac.new(secret.encode(), f"{head}.{claims}".encode(), hashlib.sha256).digest()
    return f"{head}.{claims}.{_b64(sig)}"


def text_of(content: Any) -> str:
    """A message's text: the string, or its text parts joined (Zhipu v3 takes text only)."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(p.get("text", "") for p in content if isinstance(p, dict) and p.get("type") == "text")
    return ""


def openai_to_zhipu(chat: dict) -> dict:
    """new-api's requestOpenAI2Zhipu: a system message becomes system + a user "Okay" turn,
    top_p >= 1 is lowered to 0.99 (Zhipu rejects 1)."""
    prompt: list[dict] = []
    for msg in chat.get("messages") or []:
        if not isinstance(msg, dict):
            continue
        role, text = msg.get("role"), text_of(msg.get("content"))
        if role in ("system", "developer"):
            prompt += [{"role": "system", "content": text}, {"role": "user", "content": "Okay"}]
        else:
            prompt.append({"role": role, "content": text})
    out: dict[str, Any] = {"prompt": prompt}
    if isinstance(chat.get("temperature"), int | float):
        out["temperature"] = chat["temperature"]
    top_p = chat.get("top_p")
    if isinstance(top_p, int | float) and top_p > 0:
        out["top_p"] = min(top_p, 0.99)
    return out


def zhipu_error(resp: dict) -> tuple[str, Any] | None:
    """(message, code) when the envelope says the call failed."""
    if resp.get("success") is True:
        return None
    return str(resp.get("msg") or "Zhipu call failed"), resp.get("code")


def zhipu_to_openai(resp: dict, model: str, created: int) -> dict:
    """A chat completion from `data`: choices' contents (quotes trimmed, as Zhipu quotes them)."""
    data = object_at(resp, "data")
    choices = [c for c in data.get("choices") or [] if isinstance(c, dict)]
    usage = data.get("usage") if isinstance(data.get("usage"), dict) else None
    return {
        "id": data.get("task_id") or data.get("request_id") or "",
        "object": "chat.completion", "created": created, "model": model,
        "choices": [
            {"index": i, "message": {"role": c.get("role") or "assistant",
                                     "content": str(c.get("content") or "").strip('"')},
             "finish_reason": "stop" if i == len(choices) - 1 else None}
            for i, c in enumerate(choices)
        ],
        **({"usage": usage} if usage else {}),
    }


def zhipu_chunk(event: SSEEvent, model: str, created: int) -> dict | None:
    """The chunk for one stream event: text for `add` data, the stop chunk with usage for `meta`.
    None for an `error`/`interrupted` event (the caller raises)."""
    if event.event in ("error", "interrupted"):
        return None
    if event.event == "meta":
        try:
            meta = orjson.loads(event.data)
        except orjson.JSONDecodeError:
            meta = {}
        meta = meta if isinstance(meta, dict) else {}
        usage = meta.get("usage") if isinstance(meta, dict) and isinstance(meta.get("usage"), dict) else None
        return {"id": meta.get("request_id", ""), "object": "chat.completion.chunk", "created": created,
                "model": model, "choices": [{"index": 0, "delta": {"content": ""}, "finish_reason": "stop"}],
                **({"usage": usage} if usage else {})}
    return {"id": "", "object": "chat.completion.chunk", "created": created, "model": model,
            "choices": [{"index": 0, "delta": {"content": event.data.decode("utf-8", "replace")},
                         "finish_reason": None}]}


class ZhipuStreamParser:
    """Zhipu's stream lines: `event:` names, `data:<text>` (raw text, spaces kept) and
    `meta:<json>` (the usage at the end), blank lines between blocks. Same interface as SSEParser."""

    def __init__(self, max_line: int) -> None:
        self._buf = bytearray()
        self._event: str | None = None
        self._data_in_block = False
        self.max_line = max_line
        self.done = False

    def feed(self, chunk: bytes) -> list[SSEEvent]:
        self._buf += chunk
        out: list[SSEEvent] = []
        while (nl := self._buf.find(b"\n")) >= 0:
            line = bytes(self._buf[:nl]).rstrip(b"\r")
            del self._buf[: nl + 1]
            self._line(line, out)
        if len(self._buf) > self.max_line:
            raise SSELineTooLong(f"upstream stream line longer than {self.max_line} bytes")
        return out

    def flush(self) -> list[SSEEvent]:
        out: list[SSEEvent] = []
        if self._buf:
            self._line(bytes(self._buf).rstrip(b"\r"), out)
            self._buf.clear()
        return out

    def _line(self, line: bytes, out: list[SSEEvent]) -> None:
        if not line:
            self._event, self._data_in_block = None, False
        elif line.startswith(b"event:"):
            self._event = line[6:].strip().decode("utf-8", "replace") or None
        elif line.startswith(b"data:"):
            text = (b"\n" if self._data_in_block else b"") + line[5:]
            self._data_in_block = True
            if text or self._event in ("error", "interrupted"):
                out.append(SSEEvent(text, self._event or "add"))
        elif line.startswith(b"meta:"):
            out.append(SSEEvent(line[5:].strip(), "meta"))
