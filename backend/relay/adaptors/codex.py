"""Codex (type 57): ChatGPT's Codex backend, `{base}/backend-api/codex/responses[/compact]`.

new-api's rules: the key is a JSON object with the OAuth `access_token` and the `account_id`
(sent as `chatgpt-account-id`); `instructions` must be present; a Responses call is always
streamed upstream with `store: false`, and the backend rejects max_output_tokens and the sampling
knobs. A client that asked for a whole reply gets the stream read to its end (`buffers_stream`).
Chat clients reach it through `responses_bridge.ChatViaResponses`.
"""

from __future__ import annotations

from typing import Any

import orjson

from backend.relay.adaptors.base import AdaptorError, RelayFormat, RelayResponse, UpstreamError
from backend.relay.adaptors.openai import OpenAIAdaptor
from backend.relay.adaptors.streams import stream_error
from backend.relay.sse import SSEParser

F = RelayFormat
PATH = "/backend-api/codex/responses"
DROPPED = ("max_output_tokens", "temperature", "top_p", "frequency_penalty", "presence_penalty")


def codex_credentials(key: str) -> tuple[str, str]:
    """(access_token, account_id) from the channel key (AdaptorError when it is not that JSON)."""
    try:
        data = orjson.loads(key) if key.strip().startswith("{") else None
    except orjson.JSONDecodeError:
        data = None
    token = data.get("access_token") if isinstance(data, dict) else None
    account = data.get("account_id") if isinstance(data, dict) else None
    if not isinstance(token, str) or not token.strip() or not isinstance(account, str) or not account.strip():
        raise AdaptorError("codex channel: the key must be a JSON object with access_token and account_id",
                           500, "channel_key_invalid")
    return token.strip(), account.strip()


def collect_stream(raw: bytes) -> dict[str, Any]:
    """The final Response object of a whole Responses SSE body. Output items finished on the way
    fill a completed response that carries none (the Codex backend may leave `output` empty)."""
    parser = SSEParser()
    events = parser.feed(raw) + parser.flush()
    done: dict[int, dict] = {}
    final: dict[str, Any] | None = None
    for event in events:
        try:
            obj = orjson.loads(event.data)
        except orjson.JSONDecodeError:
            continue
        if not isinstance(obj, dict):
            continue
        kind = obj.get("type") or event.event
        if kind == "response.output_item.done" and isinstance(obj.get("item"), dict):
            at = obj.get("output_index")
            done[at if isinstance(at, int) else len(done)] = obj["item"]
        elif kind in ("response.completed", "response.incomplete") and isinstance(obj.get("response"), dict):
            final = dict(obj["response"])
        elif kind == "response.failed":
            raise stream_error((obj.get("response") or {}).get("error") or obj)
        elif kind == "error":
            raise stream_error(obj.get("error") or obj)
    if final is None:
        raise UpstreamError(502, "the upstream ended the stream before it was complete", code="stream_interrupted")
    if not final.get("output") and done:
        final["output"] = [done[i] for i in sorted(done)]
    return final


class CodexAdaptor(OpenAIAdaptor):
    formats = frozenset({F.OPENAI_RESPONSES})
    buffers_stream = True

    @property
    def compact(self) -> bool:
        return self.meta.path.rstrip("/").endswith("/compact")

    def request_url(self) -> str:
        return self.base_url() + PATH + ("/compact" if self.compact else "")

    def auth_headers(self) -> dict[str, str]:
        token, account = codex_credentials(self.key)
        return {"Authorization": f"Bearer {token}", "chatgpt-account-id": account,
                "OpenAI-Beta": "responses=experimental", "originator": "codex_cli_rs"}

    def _headers(self, stream: bool) -> dict[str, str]:
        return super()._headers(stream or not self.compact)  # Responses calls always stream upstream

    def convert_request(self, body: dict) -> dict:
        out = super().convert_request(body)
        if not isinstance(out.get("instructions"), str):
            out["instructions"] = ""  # the backend requires the field
        if not self.compact:
            out["store"] = False
            out["stream"] = True
            for name in DROPPED:
                out.pop(name, None)
        return out

    def parse_response(self, raw: bytes, content_type: str | None = None) -> RelayResponse:
        if content_type and "event-stream" in content_type.lower():
            raw, content_type = orjson.dumps(collect_stream(raw)), "application/json"
        return super().parse_response(raw, content_type)
