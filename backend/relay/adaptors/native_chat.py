"""The shared shape of providers with a chat protocol of their own (Zhipu v3, Baidu, Tencent...).

Such a provider is reached through OpenAI's chat format as a pivot: the client's body (Chat,
Claude Messages or Gemini) becomes an OpenAI chat body by the OpenAI adaptor's conversions, a pure
function in `backend/relay/convert/<provider>.py` turns that into the provider's body, and the
provider's answer is turned back into an OpenAI chat completion (or chunks) which the OpenAI
adaptor's reply and stream converters then render in the client's format. So each provider only
writes the two pure conversions, its URL and its auth.
"""

from __future__ import annotations

import time
from typing import Any

import orjson

from backend.models.usage import Usage
from backend.relay.adaptors.base import RelayFormat, RelayResponse, StreamConverter, UpstreamError
from backend.relay.adaptors.errors import json_object
from backend.relay.adaptors.openai import OpenAIAdaptor
from backend.relay.convert.system_prompt import Kind, apply_system_prompt
from backend.relay.sse import DEFAULT_MAX_LINE, SSEEvent, SSEParser

F = RelayFormat


class NativeChatAdaptor(OpenAIAdaptor):
    """Subclasses implement `to_native`, `from_native`, `native_chunks`, `request_url`, `auth_headers`."""

    formats = frozenset({F.OPENAI_CHAT, F.CLAUDE_MESSAGES, F.GEMINI})
    supports_stream_options = False  # the provider's own body has no such field

    def convert_request(self, body: dict) -> dict:
        chat = super().convert_request(body)
        chat.pop("stream_options", None)
        prompt = self.setting.get("system_prompt")
        if isinstance(prompt, str) and prompt:
            chat = apply_system_prompt(chat, "chat", prompt, self.setting.get("system_prompt_override") is True)
        return self.to_native(chat)

    def system_prompt_kind(self) -> Kind | None:
        return None  # applied to the OpenAI pivot in convert_request: the native body differs

    def to_native(self, chat: dict) -> dict:
        """The provider's body for an OpenAI chat body (model already mapped)."""
        raise NotImplementedError

    def from_native(self, resp: dict) -> dict:
        """An OpenAI chat completion for the provider's whole reply; UpstreamError for an error."""
        raise NotImplementedError

    def native_chunks(self, event: SSEEvent) -> list[dict]:
        """OpenAI chat chunks for one upstream stream event; UpstreamError for an error event."""
        raise NotImplementedError

    def stream_parser(self, max_line: int) -> Any:
        """The upstream event parser; SSE unless the provider frames its stream otherwise."""
        return None

    def parse_response(self, raw: bytes, content_type: str | None = None) -> RelayResponse:
        resp = json_object(raw)
        return super().parse_response(orjson.dumps(self.from_native(resp)), "application/json")

    def assembled(self, raw: bytes, rid: str, provider: str) -> RelayResponse:
        """A whole reply from the provider's buffered stream (kinds that always stream,
        `buffers_stream`): its chunks' text and usage, complete only once a finish reason came."""
        parser = SSEParser()
        text: list[str] = []
        usage: dict | None = None
        done = False
        for event in parser.feed(raw) + parser.flush():
            for chunk in self.native_chunks(event):
                choice = chunk["choices"][0]
                text.append(choice["delta"].get("content") or "")
                usage = chunk.get("usage") or usage
                done = done or choice["finish_reason"] is not None
        if not done:
            raise UpstreamError(502, f"{provider} stream ended before the reply was complete", code="stream_interrupted")
        body = chat_completion(rid, self.meta.origin_model, int(time.time()), "".join(text), "stop", usage)
        return super().parse_response(orjson.dumps(body), "application/json")

    def stream_converter(self) -> StreamConverter:
        return NativeStream(self, super().stream_converter())


class NativeStream(StreamConverter):
    """Feeds the provider's events, as OpenAI chunks, to the client-format converter it wraps."""

    def __init__(self, adaptor: NativeChatAdaptor, inner: StreamConverter) -> None:
        super().__init__(inner.meta)
        self.adaptor = adaptor
        self.inner = inner

    def make_parser(self, max_line: int = DEFAULT_MAX_LINE) -> Any:
        own = self.adaptor.stream_parser(max_line)
        return own if own is not None else self.inner.make_parser(max_line)

    def feed(self, event: SSEEvent) -> list[bytes]:
        try:
            chunks = self.adaptor.native_chunks(event)
        except UpstreamError as err:
            self.error = err
            return []
        frames: list[bytes] = []
        for chunk in chunks:
            frames += self.inner.feed(SSEEvent(orjson.dumps(chunk)))
        self._sync()
        return frames

    def _sync(self) -> None:
        inner = self.inner
        self.usage = inner.usage or self.usage
        self.error = self.error or inner.error
        self.complete = inner.complete
        self.finish_reason = inner.finish_reason
        self.tool_call_tokens = inner.tool_call_tokens

    @property
    def completion_text(self) -> str:
        return self.inner.completion_text

    def finish(self, usage: Usage) -> list[bytes]:
        return self.inner.finish(usage)

    def error_frame(self, error: dict[str, Any], status: int) -> bytes:
        return self.inner.error_frame(error, status)


def chat_completion(rid: str, model: str, created: int, text: str, finish: str | None,
                    usage: dict | None, tool_calls: list | None = None) -> dict:
    """An OpenAI chat completion with one choice."""
    message: dict[str, Any] = {"role": "assistant", "content": text}
    if tool_calls:
        message["tool_calls"] = tool_calls
    out: dict[str, Any] = {
        "id": rid, "object": "chat.completion", "created": created, "model": model,
        "choices": [{"index": 0, "message": message, "finish_reason": finish or "stop"}],
    }
    if usage:
        out["usage"] = usage
    return out


def chat_chunk(rid: str, model: str, created: int, delta: dict, finish: str | None = None,
               usage: dict | None = None) -> dict:
    """An OpenAI chat chunk with one choice (and usage when the provider reported it)."""
    out: dict[str, Any] = {
        "id": rid, "object": "chat.completion.chunk", "created": created, "model": model,
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }
    if usage:
        out["usage"] = usage
    return out


def openai_usage(prompt: Any, completion: Any) -> dict | None:
    """OpenAI's usage object from a provider's two counts; None when it reported none."""
    p = prompt if isinstance(prompt, int) else 0
    c = completion if isinstance(completion, int) else 0
    if not p and not c:
        return None
    return {"prompt_tokens": p, "completion_tokens": c, "total_tokens": p + c}
