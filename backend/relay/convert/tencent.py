"""Tencent Hunyuan's API 3.0 (channel type 23), as new-api speaks it: OpenAI chat <-> the
PascalCase `ChatCompletions` bodies, the `{Response: {...}}` envelope and its `Error`, stream
chunks, the "appId|secretId|secretKey" key and TC3-HMAC-SHA256 request signing."""

from __future__ import annotations

import hashlib
import hmac
import time
from typing import Any

from backend.json_shape import object_at
from backend.relay.convert.zhipu import text_of

ACTION, VERSION, SERVICE = "ChatCompletions", "2023-09-01", "hunyuan"
ALGORITHM = "TC3-HMAC-SHA256"
SIGNED_HEADERS = "content-type;host;x-tc-action"


class TencentKeyError(ValueError):
    """The channel key is not "appId|secretId|secretKey"."""


def parse_key(key: str) -> tuple[int, str, str]:
    parts = key.strip().removeprefix("Bearer ").split("|")
    if len(parts) != 3 or not parts[0].isdigit() or not parts[1] or not parts[2]:
        raise TencentKeyError('a Tencent key is "<appId>|<secretId>|<secretKey>" (appId a number)')
    return int(parts[0]), parts[1], parts[2]


def _hmac(key: bytes, msg: str) -> bytes:
    return hmac.new(key, msg.encode(), hashlib.sha256).digest()


def tc3_authorization(secret_id: str, secret_key: str, host: str, payload: bytes, timestamp: int) -> str:
    """The `Authorization` value for a POST / of `payload` with content-type application/json
    and X-TC-Action ChatCompletions (the headers signed, as new-api signs them)."""
    canonical = "\n".join([
        "POST", "/", "",
        f"content-type:application/json\nhost:{host}\nx-tc-action:{ACTION.lower()}\n",
        SIGNED_HEADERS, hashlib.sha256(payload).hexdigest(),
    ])
    date = time.strftime("%Y-%m-%d", time.gmtime(timestamp))
    scope = f"{date}/{SERVICE}/tc3_request"
    to_sign = "\n".join([ALGORITHM, str(timestamp), scope, hashlib.sha256(canonical.encode()).hexdigest()])
    key = _hmac(_hmac(_hmac(f"TC3{secret_key}".encode(), date), SERVICE), "tc3_request")
    signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    return f"{ALGORITHM} Credential={secret_id}/{scope}, SignedHeaders={SIGNED_HEADERS}, Signature={signature}"


def openai_to_tencent(chat: dict, model: str) -> dict:
    """new-api's requestOpenAI2Tencent: every message's text with PascalCase fields."""
    out: dict[str, Any] = {
        "Model": model,
        "Messages": [{"Role": m.get("role"), "Content": text_of(m.get("content"))}
                     for m in chat.get("messages") or [] if isinstance(m, dict)],
    }
    if chat.get("stream") is True:
        out["Stream"] = True
    for src, dst in (("top_p", "TopP"), ("temperature", "Temperature")):
        if isinstance(chat.get(src), int | float):
            out[dst] = chat[src]
    return out


def tencent_error(resp: dict) -> tuple[str, str] | None:
    """(message, code) for an `Error` in the (enveloped or stream) reply."""
    enveloped = resp.get("Response")
    inner = enveloped if isinstance(enveloped, dict) else resp
    err = inner.get("Error")
    if isinstance(err, dict) and err.get("Code") not in (None, 0, ""):
        return str(err.get("Message") or err["Code"]), str(err["Code"])
    return None


def _usage(resp: dict) -> dict | None:
    u = resp.get("Usage")
    if not isinstance(u, dict) or not u.get("TotalTokens"):
        return None
    return {"prompt_tokens": u.get("PromptTokens") or 0, "completion_tokens": u.get("CompletionTokens") or 0,
            "total_tokens": u["TotalTokens"]}


def tencent_to_openai(resp: dict, model: str) -> dict:
    inner = object_at(resp, "Response")
    choices = [c for c in inner.get("Choices") or [] if isinstance(c, dict)]
    out: dict[str, Any] = {"id": inner.get("Id") or "", "object": "chat.completion",
                           "created": inner.get("Created") or 0, "model": model, "choices": []}
    if choices:
        message = object_at(choices[0], "Message")
        out["choices"].append({"index": 0, "message": {"role": "assistant", "content": str(message.get("Content") or "")},
                               "finish_reason": choices[0].get("FinishReason") or "stop"})
    usage = _usage(inner)
    if usage:
        out["usage"] = usage
    return out


def tencent_chunk(resp: dict, model: str) -> dict:
    choices = [c for c in resp.get("Choices") or [] if isinstance(c, dict)]
    out: dict[str, Any] = {"id": resp.get("Id") or "", "object": "chat.completion.chunk",
                           "created": resp.get("Created") or 0, "model": model, "choices": []}
    if choices:
        delta = object_at(choices[0], "Delta")
        finish = "stop" if choices[0].get("FinishReason") == "stop" else None
        out["choices"].append({"index": 0, "delta": {"content": str(delta.get("Content") or "")},
                               "finish_reason": finish})
    usage = _usage(resp)
    if usage and out["choices"] and out["choices"][0]["finish_reason"]:
        out["usage"] = usage  # each chunk carries the running total; the last one is the bill
    return out
