"""Xunfei Spark (channel type 18)'s WebSocket chat protocol, as new-api speaks it: the channel key
`APPID|APISecret|APIKey`, the HMAC-SHA256 signed URL (host, date and request line signed with the
secret, passed in the query), the `header / parameter / payload` request frame, and the reply
frames (`payload.choices.text`, `status` 2 on the last, usage in it) as OpenAI chat chunks.

The API version (`v1.1`, `v3.5`, ...) names both the path (`/{version}/chat`) and the `domain`:
from the caller's `?api-version=`, else a model named `SparkDesk-<version>`, else the channel's
`other`, else v1.1.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit

from backend.json_shape import object_at

DEFAULT_VERSION = "v1.1"
DOMAINS = {"v1.1": "lite", "v2.1": "generalv2", "v3.1": "generalv3", "v3.5": "generalv3.5", "v4.0": "4.0Ultra"}
# error codes of the caller's making (content audit, input too long): not the channel's fault
CALLER_CODES = frozenset({10013, 10014, 10019, 10907})


class XunfeiKeyError(ValueError):
    """The channel key is not `APPID|APISecret|APIKey`."""


@dataclass(frozen=True, slots=True)
class SparkKey:
    app_id: str
    api_secret: str
    api_key: str


def parse_key(key: str) -> SparkKey:
    parts = [p.strip() for p in key.split("|")]
    if len(parts) != 3 or not all(parts):
        raise XunfeiKeyError("the Xunfei key must be APPID|APISecret|APIKey")
    return SparkKey(*parts)


def api_version(model: str, query_version: str | None, other: str | None) -> str:
    if query_version:
        return query_version
    parts = model.split("-")
    if len(parts) == 2 and parts[1]:
        return parts[1]
    return (other or "").strip() or DEFAULT_VERSION


def domain_for(version: str) -> str:
    return DOMAINS.get(version, "general" + version)


def ws_base(base_url: str | None) -> str:
    """The WebSocket root: the channel's base URL (http(s) spelled ws(s)) or Spark's own host."""
    base = (base_url or "").strip().rstrip("/") or "wss://spark-api.xf-yun.com"
    if base.startswith("https://"):
        return "wss://" + base[len("https://"):]
    if base.startswith("http://"):
        return "ws://" + base[len("http://"):]
    return base


def signed_url(url: str, key: SparkKey, date: str) -> str:
    """`url` with Spark's `host`, `date` and `authorization` query: the signature is HMAC-SHA256,
    under the API secret, of "host: H\\ndate: D\\nGET /path HTTP/1.1"."""
    parts = urlsplit(url)
    signed = f"host: {parts.netloc}\ndate: {date}\nGET {parts.path} HTTP/1.1"
    signature = base64.b64encode(hmac.new(key.api_secret.encode(), signed.encode(), hashlib.sha256).digest()).decode()
    authorization = (f'hmac username="{key.api_key}", algorithm="hmac-sha256", '
                     f'headers="host date request-line", signature="{signature}"')
    query = {"host": parts.netloc, "date": date, "authorization": base64.b64encode(authorization.encode()).decode()}
    return f"{url}?{urlencode(query)}"


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(p.get("text", "") for p in content if isinstance(p, dict) and p.get("type") == "text")
    return ""


def openai_to_xunfei(chat: dict, app_id: str, domain: str) -> dict:
    """new-api's request: a system message becomes a user turn answered "Okay" (but for models named
    ...3.5, which take system), temperature and max_tokens carried, n as top_k (as new-api does)."""
    keep_system = str(chat.get("model") or "").endswith("3.5")
    text: list[dict[str, str]] = []
    for msg in chat.get("messages") or ():
        if not isinstance(msg, dict):
            continue
        role, content = str(msg.get("role") or "user"), _text(msg.get("content"))
        if role == "system" and not keep_system:
            text += [{"role": "user", "content": content}, {"role": "assistant", "content": "Okay"}]
        else:
            text.append({"role": role, "content": content})
    params: dict[str, Any] = {"domain": domain}
    if isinstance(chat.get("temperature"), int | float):
        params["temperature"] = chat["temperature"]
    if isinstance(chat.get("n"), int) and chat["n"] > 0:
        params["top_k"] = chat["n"]
    max_tokens = chat.get("max_tokens") or chat.get("max_completion_tokens")
    if isinstance(max_tokens, int) and max_tokens > 0:
        params["max_tokens"] = max_tokens
    return {"header": {"app_id": app_id}, "parameter": {"chat": params}, "payload": {"message": {"text": text}}}


def frame_error(frame: dict) -> tuple[int, str] | None:
    """(code, message) of an error frame (`header.code` not 0)."""
    header = object_at(frame, "header")
    code = header.get("code")
    if isinstance(code, int) and code != 0:
        return code, str(header.get("message") or f"Xunfei error {code}")
    return None


def frame_is_last(frame: dict) -> bool:
    payload = object_at(frame, "payload")
    choices = object_at(payload, "choices")
    header = object_at(frame, "header")
    return choices.get("status") == 2 or header.get("status") == 2


def frame_delta(frame: dict) -> tuple[str, dict | None]:
    """The text a reply frame adds, and OpenAI's usage object when the frame carries Spark's."""
    payload = object_at(frame, "payload")
    choices = object_at(payload, "choices")
    text = "".join(t.get("content", "") for t in choices.get("text") or () if isinstance(t, dict)
                   and isinstance(t.get("content"), str))
    usage = (payload.get("usage") or {}).get("text") if isinstance(payload.get("usage"), dict) else None
    if not isinstance(usage, dict):
        return text, None
    given_prompt, given_completion = usage.get("prompt_tokens"), usage.get("completion_tokens")
    prompt = given_prompt if isinstance(given_prompt, int) else 0
    completion = given_completion if isinstance(given_completion, int) else 0
    return text, {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}
