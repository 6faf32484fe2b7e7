"""The Responses <-> Chat pivot around a channel's own adaptor.

- `ResponsesViaChat`: a /v1/responses client on a channel that does not speak Responses (any
  OpenAI-compatible Chat-only provider, Claude, Gemini, Bedrock...). The body becomes a Chat body,
  the channel's adaptor does the rest as for a Chat client (its own conversions included), and its
  Chat reply or chunks become a Response / Responses events.
- `ChatViaResponses`: a /v1/chat/completions client on a Responses-only upstream model (`responses_only`).

Composing whole adaptors keeps every conversion pair in one place: each upstream kind is reached
through the Chat shape it already converts, so nothing here knows about Claude or Gemini.
"""

from __future__ import annotations

import abc
import dataclasses
import functools
import re
from typing import Any

import orjson

from backend.models import channel_types
from backend.models.usage import Usage
from backend.relay.adaptors.base import (
    Adaptor,
    AdaptorError,
    AdaptorFactory,
    ChannelLike,
    RelayFormat,
    RelayMeta,
    RelayResponse,
    StreamConverter,
    UpstreamError,
    UpstreamRequest,
)
from backend.relay.adaptors.errors import bad_body
from backend.relay.adaptors.streams import OpenAIStream, load_json, stream_error
from backend.relay.convert.openai_responses import (
    ChatConvertError,
    ResponsesToChatStream,
    chat_to_responses_request,
    responses_to_chat_response,
)
from backend.relay.convert.responses_openai import (
    ResponsesConvertError,
    chat_to_responses_response,
    responses_to_chat_request,
)
from backend.relay.convert.responses_openai_stream import ChatToResponsesStream
from backend.relay.sse import SSEEvent, SSEParser, event_frame

F = RelayFormat
CODEX_ID = channel_types.CODEX_ID
# channel types whose upstream serves /v1/responses itself (state, built-in tools, compact)
RESPONSES_NATIVE_TYPES = frozenset({channel_types.OPENAI_ID, channel_types.AZURE_ID, CODEX_ID})
# models OpenAI serves on the Responses API only (its model pages: "Responses API only")
RESPONSES_ONLY_MODELS = re.compile(
    r"codex|^o1-pro|^o3-pro|^gpt-5(\.\d+)?-pro|deep-research|^computer-use", re.IGNORECASE
)


def speaks_responses(channel: ChannelLike) -> bool:
    return channel.type in RESPONSES_NATIVE_TYPES


@functools.lru_cache(maxsize=64)
def _patterns(patterns: tuple[str, ...]) -> tuple[re.Pattern[str], ...]:
    compiled = []
    for pattern in patterns:
        try:
            compiled.append(re.compile(pattern))
        except re.error:
            continue  # a broken pattern matches nothing, as new-api's regex helper
    return tuple(compiled)


def policy_applies(policy: Any, channel: ChannelLike, model: str) -> bool:
    """new-api's `global.chat_completions_to_responses_policy`: enabled, the channel listed (or
    all_channels), and the model matching one of model_patterns (regular expressions)."""
    if not isinstance(policy, dict) or policy.get("enabled") is not True:
        return False
    ids, types = policy.get("channel_ids") or [], policy.get("channel_types") or []
    listed = policy.get("all_channels") is True or channel.id in ids or channel.type in types
    patterns = tuple(p for p in policy.get("model_patterns") or () if isinstance(p, str))
    return listed and any(p.search(model) for p in _patterns(patterns))


def responses_only(channel: ChannelLike, origin_model: str, upstream_model: str, policy: Any = None) -> bool:
    """Chat clients of this channel + model must be served through the Responses API (`policy`:
    the option's value, `RelayMeta.responses_policy`)."""
    if channel.type == CODEX_ID:
        return True  # the Codex backend serves /responses only
    if channel.type in (channel_types.OPENAI_ID, channel_types.AZURE_ID) and RESPONSES_ONLY_MODELS.search(upstream_model):
        return True
    return policy_applies(policy, channel, origin_model)


def wrap(cls: AdaptorFactory, channel: ChannelLike, key: str, meta: RelayMeta) -> Adaptor:
    """The adaptor for this call: the channel's own, or it inside the Responses/Chat pivot."""
    if meta.fmt == F.OPENAI_RESPONSES and not speaks_responses(channel):
        return ResponsesViaChat(cls, channel, key, meta)
    if meta.fmt == F.OPENAI_CHAT and responses_only(channel, meta.origin_model, meta.upstream_model,
                                                    meta.responses_policy):
        return ChatViaResponses(cls, channel, key, meta)
    return cls(channel, key, meta)


def responses_error_frame(error: dict[str, Any], status: int) -> bytes:
    """A failed stream's last frame for a Responses client (OpenAI's `error` event)."""
    return event_frame("error", {"type": "error", "code": error.get("code"), "message": error.get("message"),
                                 "param": error.get("param") or None})


class _Bridge(Adaptor):
    """Delegates the upstream side to the channel's adaptor, built for `inner_fmt`."""

    inner_fmt: F
    inner_path: str

    def __init__(self, cls: AdaptorFactory, channel: ChannelLike, key: str, meta: RelayMeta) -> None:
        super().__init__(channel, key, meta)
        inner_meta = dataclasses.replace(meta, fmt=self.inner_fmt, path=self.inner_path, include_usage=True)
        self.inner = cls(channel, key, inner_meta)
        self.request: dict = {}

    @property
    def buffers_stream(self) -> bool:  # type: ignore[override]
        return self.inner.buffers_stream

    async def prepare(self, client: Any) -> None:
        await self.inner.prepare(client)

    async def send(self, client: Any, request: UpstreamRequest) -> Any:
        return await self.inner.send(client, request)  # the channel's own transport (a WebSocket, a job)

    @abc.abstractmethod
    def _convert(self, body: dict) -> dict:
        """The client's body in the inner adaptor's format (each bridge direction has its own)."""

    def build_request(self, body: dict) -> UpstreamRequest:
        if self.meta.fmt not in self.formats:
            raise AdaptorError(f"this channel does not support {self.meta.fmt.value} requests")
        self.request = body
        req = self.inner.build_request(self._convert(body))
        self.upstream_model = self.inner.upstream_model
        self.upstream_format = self.inner.upstream_format
        self.reasoning_effort = self.inner.reasoning_effort
        return req

    def convert_request(self, body: dict) -> dict:
        return self.inner.convert_request(self._convert(body))

    def request_url(self) -> str:
        return self.inner.request_url()

    def auth_headers(self) -> dict[str, str]:
        return self.inner.auth_headers()

    def parse_error(self, status_code: int, raw: bytes) -> UpstreamError:
        return self.inner.parse_error(status_code, raw)

    def _inner_json(self, raw: bytes, content_type: str | None) -> tuple[dict, RelayResponse]:
        out = self.inner.parse_response(raw, content_type)
        try:
            body = orjson.loads(out.body)
        except orjson.JSONDecodeError:
            body = None
        if not isinstance(body, dict):
            raise bad_body()
        return body, out


class ResponsesViaChat(_Bridge):
    formats = frozenset({F.OPENAI_RESPONSES})
    inner_fmt = F.OPENAI_CHAT
    inner_path = "/v1/chat/completions"

    def _convert(self, body: dict) -> dict:
        if self.meta.path.rstrip("/").endswith("/compact"):
            raise AdaptorError("/v1/responses/compact is only available on OpenAI and Azure channels")
        try:
            return responses_to_chat_request(body, self.meta.upstream_model)
        except ResponsesConvertError as err:
            raise AdaptorError(str(err)) from err

    def parse_response(self, raw: bytes, content_type: str | None = None) -> RelayResponse:
        chat, out = self._inner_json(raw, content_type)
        body = chat_to_responses_response(chat, self.request, out.usage, self.meta.origin_model)
        return RelayResponse(orjson.dumps(body), "application/json", out.usage, out.completion_text)

    def stream_converter(self) -> StreamConverter:
        return ChatToResponsesConverter(self.meta, self.inner.stream_converter(), self.request)


class ChatViaResponses(_Bridge):
    formats = frozenset({F.OPENAI_CHAT})
    inner_fmt = F.OPENAI_RESPONSES
    inner_path = "/v1/responses"

    def _convert(self, body: dict) -> dict:
        try:
            return chat_to_responses_request(body, self.meta.upstream_model)
        except ChatConvertError as err:
            raise AdaptorError(str(err)) from err

    def parse_response(self, raw: bytes, content_type: str | None = None) -> RelayResponse:
        resp, _ = self._inner_json(raw, content_type)
        if resp.get("status") == "failed" and isinstance(resp.get("error"), dict):
            raise stream_error(resp["error"])
        body, usage, text = responses_to_chat_response(resp, self.meta.origin_model)
        return RelayResponse(orjson.dumps(body), "application/json", usage, text)

    def stream_converter(self) -> StreamConverter:
        return ResponsesToChatConverter(self.meta, thinking_to_content=self.setting.get("thinking_to_content") is True)


class ChatToResponsesConverter(StreamConverter):
    """Responses client: the channel's Chat stream converter runs first (its upstream's events to
    Chat chunks), then its frames become Responses events."""

    def __init__(self, meta: RelayMeta, inner: StreamConverter, request: dict) -> None:
        super().__init__(meta)
        self.inner = inner
        self.conv = ChatToResponsesStream(request, meta.origin_model)
        self._frames = SSEParser()

    def make_parser(self, max_line: int = 0) -> Any:
        return self.inner.make_parser(max_line) if max_line else self.inner.make_parser()

    @property
    def completion_text(self) -> str:
        return self.inner.completion_text

    def _sync(self) -> None:
        inner = self.inner
        self.usage, self.error, self.complete = inner.usage, inner.error, inner.complete
        self.finish_reason, self.tool_call_tokens = inner.finish_reason, inner.tool_call_tokens

    def _events(self, frames: list[bytes]) -> list[bytes]:
        out: list[bytes] = []
        for frame in frames:
            for event in self._frames.feed(frame):
                chunk = load_json(event.data)
                if isinstance(chunk, dict):
                    out += [event_frame(kind, payload) for kind, payload in self.conv.feed(chunk)]
        return out

    def feed(self, event: SSEEvent) -> list[bytes]:
        frames = self.inner.feed(event)
        self._sync()
        return [] if self.error is not None else self._events(frames)

    def finish(self, usage: Usage) -> list[bytes]:
        out = self._events(self.inner.finish(usage))
        return out + [event_frame(kind, payload) for kind, payload in self.conv.finish(usage)]

    error_frame = staticmethod(responses_error_frame)


class ResponsesToChatConverter(OpenAIStream):
    """Chat client, Responses upstream: events become chunks; complete at response.completed."""

    FINISH_ENDS_STREAM = False

    def __init__(self, meta: RelayMeta, thinking_to_content: bool = False) -> None:
        super().__init__(meta, thinking_to_content)
        self.conv = ResponsesToChatStream(meta.origin_model)

    def feed(self, event: SSEEvent) -> list[bytes]:
        obj = load_json(event.data)
        if not isinstance(obj, dict):
            return []
        if not obj.get("type") and event.event:
            obj["type"] = event.event
        chunks = self.conv.feed(obj)
        if self.conv.error is not None:
            self.error = stream_error(self.conv.error)
            return []  # the pipeline writes the (redacted) error frame
        frames: list[bytes] = []
        for chunk in chunks:
            frames += self._emit(chunk, None)
        if self.conv.usage is not None:
            self.usage = self.conv.usage
        self.complete = self.conv.complete
        return frames
