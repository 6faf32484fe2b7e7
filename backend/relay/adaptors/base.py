"""The contract between the relay pipeline and the provider adaptors.

An adaptor knows one provider family: where to send a request (URL, headers), which pure
conversion in `backend/relay/convert/` turns the client's body into the provider's, and how to
turn the provider's answer (whole body or SSE stream) back into the client's format plus `Usage`.
It does no I/O: the pipeline owns the HTTP client, retries, billing and the client connection.

One adaptor instance serves one attempt of one call (channel + key + request)::

    from backend.relay.adaptors import get_adaptor

    meta = RelayMeta(fmt=RelayFormat.OPENAI_CHAT, path="/v1/chat/completions",
                     query=dict(request.query_params), client_headers=dict(request.headers),
                     origin_model="gpt-4o", upstream_model=channel.model_mapping.get(m, m),
                     stream=body.get("stream") is True, include_usage=client_wants_usage,
                     prompt_tokens=local_estimate)
    adaptor = get_adaptor(channel, key, meta)
    req = adaptor.build_request(body)            # AdaptorError -> local 400, nothing charged
    resp = await client.send(req.method, req.url, headers=req.headers, content=req.body)
    if resp.status_code != 200:
        err = adaptor.parse_error(resp.status_code, await resp.aread())   # UpstreamError
        # status_code_mapping, retry, auto-disable decide on err.status_code / err.type / err.code
    elif meta.stream or "text/event-stream" in resp.headers.get("content-type", ""):
        conv = adaptor.stream_converter()
        parser = conv.make_parser()                   # SSEParser, or AWS's event-stream parser
        async for chunk in resp.aiter_bytes():
            for event in parser.feed(chunk):
                for frame in conv.feed(event):       # ready-to-write bytes in the client's format
                    send(frame)
            if parser.done: break
        # (after the loop, also feed parser.flush())
        usage = conv.usage or count_locally(conv.completion_text) + conv.tool_call_tokens
        for frame in conv.finish(usage):            # closing frames, e.g. usage chunk + [DONE]
            send(frame)
    else:
        out = adaptor.parse_response(await resp.aread(), resp.headers.get("content-type"))
        usage = out.usage or count_locally(out.completion_text)
        return Response(out.body, status_code=200, media_type=out.content_type)

After `build_request` the adaptor also exposes `reasoning_effort` (for `logs.other`) and
`upstream_format`. `parse_response` may raise `UpstreamError` when a 200 body is unusable
(bad JSON, a Gemini answer without candidates); treat it like a non-200 answer. A stream that
carries an error event sets `conv.error` (an `UpstreamError`).

Multipart requests (audio transcriptions, image edits) go through `build_raw_request`: the form
bytes are forwarded unchanged, only URL and headers are built.
"""

from __future__ import annotations

import abc
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, ClassVar, Protocol

import orjson

from backend.models.usage import Usage
from backend.relay.adaptors.errors import UpstreamError, upstream_error
from backend.relay.convert.multipart import rewrite_form_field
from backend.relay.convert.param_override import ParamOverrideError, apply_param_override
from backend.relay.convert.system_prompt import Kind, apply_system_prompt
from backend.relay.sse import DEFAULT_MAX_LINE, SSEEvent, SSEParser, data_frame


class RelayFormat(StrEnum):
    """The wire format of a request body (client side or upstream side)."""

    OPENAI_CHAT = "openai_chat"  # /v1/chat/completions
    OPENAI_COMPLETIONS = "openai_completions"  # /v1/completions
    OPENAI_EDITS = "openai_edits"  # /v1/edits
    OPENAI_EMBEDDINGS = "openai_embeddings"  # /v1/embeddings, /v1/engines/{m}/embeddings
    OPENAI_MODERATIONS = "openai_moderations"  # /v1/moderations
    OPENAI_IMAGES = "openai_images"  # /v1/images/generations
    OPENAI_IMAGE_EDITS = "openai_image_edits"  # /v1/images/edits (multipart)
    OPENAI_IMAGE_VARIATIONS = "openai_image_variations"  # /v1/images/variations (multipart)
    OPENAI_AUDIO_SPEECH = "openai_audio_speech"  # /v1/audio/speech (binary reply)
    OPENAI_AUDIO_TRANSCRIPTIONS = "openai_audio_transcriptions"  # multipart
    OPENAI_AUDIO_TRANSLATIONS = "openai_audio_translations"  # multipart
    OPENAI_RESPONSES = "openai_responses"  # /v1/responses (and /compact, by path)
    RERANK = "rerank"  # /v1/rerank (Jina/Cohere shape)
    CLAUDE_MESSAGES = "claude_messages"  # /v1/messages
    GEMINI = "gemini"  # /v1beta/models/{m}:generateContent | :streamGenerateContent
    GEMINI_EMBEDDINGS = "gemini_embeddings"  # :embedContent | :batchEmbedContents


# The OpenAI path of each OpenAI-shaped format: the default URL is base_url + this path.
OPENAI_PATHS: dict[RelayFormat, str] = {
    RelayFormat.OPENAI_CHAT: "/v1/chat/completions",
    RelayFormat.OPENAI_COMPLETIONS: "/v1/completions",
    RelayFormat.OPENAI_EDITS: "/v1/edits",
    RelayFormat.OPENAI_EMBEDDINGS: "/v1/embeddings",
    RelayFormat.OPENAI_MODERATIONS: "/v1/moderations",
    RelayFormat.OPENAI_IMAGES: "/v1/images/generations",
    RelayFormat.OPENAI_IMAGE_EDITS: "/v1/images/edits",
    RelayFormat.OPENAI_IMAGE_VARIATIONS: "/v1/images/variations",
    RelayFormat.OPENAI_AUDIO_SPEECH: "/v1/audio/speech",
    RelayFormat.OPENAI_AUDIO_TRANSCRIPTIONS: "/v1/audio/transcriptions",
    RelayFormat.OPENAI_AUDIO_TRANSLATIONS: "/v1/audio/translations",
    RelayFormat.OPENAI_RESPONSES: "/v1/responses",
    RelayFormat.RERANK: "/v1/rerank",
    RelayFormat.CLAUDE_MESSAGES: "/v1/messages",
}


# where a channel's system_prompt setting goes, by upstream format
SYSTEM_PROMPT_KINDS: dict[RelayFormat, Kind] = {
    RelayFormat.OPENAI_CHAT: "chat",
    RelayFormat.CLAUDE_MESSAGES: "claude",
    RelayFormat.OPENAI_RESPONSES: "responses",
    RelayFormat.GEMINI: "gemini",
}


class OptionReader(Protocol):
    """The settings an adaptor may read, handed in through `RelayMeta.options` (the pipeline passes
    `backend.services.options`): adaptors stay free of the service layer and of I/O."""

    def get(self, key: str) -> str: ...
    def get_bool(self, key: str) -> bool: ...
    def get_int(self, key: str, default: int = 0) -> int: ...
    def get_float(self, key: str, default: float = 0.0) -> float: ...
    def get_json(self, key: str) -> Any: ...


class NoOptions:
    """Every option unset: what an adaptor sees when nobody handed it settings (pure tests)."""

    def get(self, key: str) -> str:
        return ""

    def get_bool(self, key: str) -> bool:
        return False

    def get_int(self, key: str, default: int = 0) -> int:
        return default

    def get_float(self, key: str, default: float = 0.0) -> float:
        return default

    def get_json(self, key: str) -> Any:
        return None


NO_OPTIONS = NoOptions()


class ChannelLike(Protocol):
    """What an adaptor reads from a channel; `backend.cache.channels.ChannelInfo` satisfies it.
    Read-only members, so the frozen snapshot (and its non-optional strings) fits."""

    @property
    def id(self) -> int: ...
    @property
    def type(self) -> int: ...
    @property
    def name(self) -> str: ...
    @property
    def base_url(self) -> str | None: ...
    @property
    def other(self) -> str | None: ...
    @property
    def openai_organization(self) -> str | None: ...
    @property
    def param_override(self) -> dict: ...
    @property
    def header_override(self) -> dict: ...
    @property
    def setting(self) -> dict: ...


@dataclass(slots=True)
class RelayMeta:
    """What the pipeline knows about the call before it reaches the upstream."""

    fmt: RelayFormat  # the client's format (route)
    origin_model: str  # the client's model name (billing, logs, replies to the client)
    upstream_model: str  # after model_mapping; suffix rules (-thinking, -high...) apply to it
    stream: bool = False  # the client asked for a stream
    # the client's request path, e.g. "/v1/chat/completions"; native Gemini requests need it
    # (".../models/{m}:streamGenerateContent" -> the upstream action; set stream=True for that one)
    path: str = ""
    query: Mapping[str, str] = field(default_factory=dict)  # client query (Azure api-version)
    client_headers: Mapping[str, str] = field(default_factory=dict)  # lower-case names
    include_usage: bool = False  # OpenAI client sent stream_options.include_usage=true
    prompt_tokens: int = 0  # local estimate; Claude-format replies put it in message_start
    # local completion counter (text -> tokens); lets a converted reply show usage the upstream
    # did not report (e.g. a Claude-format reply built from an OpenAI body without usage)
    count_tokens: Callable[[str], int] | None = None
    # new-api's `global.chat_completions_to_responses_policy` (Chat calls only; the pipeline reads the
    # option so adaptors stay free of settings): which Chat calls go through the Responses API
    responses_policy: Mapping[str, Any] | None = None
    options: OptionReader = NO_OPTIONS  # the settings (claude.*, gemini.*, ServerAddress...)


@dataclass(slots=True)
class UpstreamRequest:
    method: str
    url: str
    headers: dict[str, str]
    body: bytes | None
    stream: bool
    proxy: str | None = None  # channel.setting["proxy"] (http://, socks5://)


@dataclass(slots=True)
class RelayResponse:
    """A whole (non-stream) reply, already in the client's format."""

    body: bytes
    content_type: str = "application/json"
    usage: Usage | None = None  # None: the upstream reported none; count locally
    completion_text: str = ""  # content + reasoning, for local counting


class AdaptorError(Exception):
    """The request cannot be built for this channel: a local error (no retry, nothing charged)."""

    def __init__(self, message: str, status_code: int = 400, code: str = "convert_request_failed") -> None:
        super().__init__(message)
        self.message = message
        self.status_code = status_code
        self.code = code


class StreamConverter(abc.ABC):
    """Turns upstream SSE events into client-format frames and collects usage on the way."""

    # how upstream bytes become events: SSE for everyone but AWS Bedrock (binary event-stream)
    parser_factory: Callable[[int], Any] = SSEParser

    def __init__(self, meta: RelayMeta) -> None:
        self.meta = meta
        self.usage: Usage | None = None  # set when the upstream reported usage
        self.error: UpstreamError | None = None  # set when the stream carried an error event
        # the upstream sent its own end marker (message_stop, a finish reason, response.completed;
        # the SSE parser's [DONE] counts too): without one, an ended stream was cut short
        self.complete = False
        self.finish_reason: str | None = None
        self.tool_call_tokens = 0  # new-api's fallback: 7 x the most tool calls seen in one chunk
        self._text: list[str] = []

    def make_parser(self, max_line: int = DEFAULT_MAX_LINE) -> Any:
        """The upstream event parser for this stream (feed / flush / done, like SSEParser)."""
        return self.parser_factory(max_line)

    @property
    def completion_text(self) -> str:
        """Content, reasoning, tool names and arguments seen so far (local counting)."""
        return "".join(self._text)

    def _count_tool_calls(self, n: int) -> None:
        self.tool_call_tokens = max(self.tool_call_tokens, 7 * n)

    @abc.abstractmethod
    def feed(self, event: SSEEvent) -> list[bytes]:
        """Frames to write for one upstream event (possibly none)."""

    @abc.abstractmethod
    def finish(self, usage: Usage) -> list[bytes]:
        """Closing frames once the upstream ended; `usage` is what will be billed."""

    def error_frame(self, error: dict[str, Any], status: int) -> bytes:
        """The frame that ends a failed stream, in the client's format (OpenAI's here). `error`
        is an OpenAI error object, already fit for the caller. Converters write no error frames
        of their own: they set `error`, and the pipeline writes this one (redacted) instead."""
        return data_frame({"error": error})


class Adaptor(abc.ABC):
    """One provider family. Subclasses set `formats` and implement the conversion hooks."""

    # client formats this family can serve (anything else is an AdaptorError 400)
    formats: ClassVar[frozenset[RelayFormat]] = frozenset()
    # the upstream answers with a stream even when the client asked for a whole reply (Codex):
    # the pipeline then reads it whole and `parse_response` gets the SSE body
    buffers_stream: bool = False
    # the provider counts a Claude Messages body's tokens itself (`count_tokens_request`)
    counts_tokens: ClassVar[bool] = False

    def __init__(self, channel: ChannelLike, key: str, meta: RelayMeta) -> None:
        self.channel = channel
        self.key = key
        self.meta = meta
        self.upstream_model = meta.upstream_model
        self.upstream_format: RelayFormat = meta.fmt
        self.reasoning_effort: str | None = None

    # -- request ---------------------------------------------------------------------------

    async def prepare(self, client: Any) -> None:
        """I/O a kind needs before its request can be built, through the pipeline's upstream
        client (Vertex AI buys an access token). Raises UpstreamError or the client's transport
        error like a failed call. Most kinds need none."""
        return None

    def build_request(self, body: dict) -> UpstreamRequest:
        """Converted body + channel system_prompt + param_override (simple or operations form), URL, headers +
        header_override. A broken override is an AdaptorError 500 (code param_override_failed)."""
        if self.meta.fmt not in self.formats:
            raise AdaptorError(f"this channel does not support {self.meta.fmt.value} requests")
        converted = self.converted(body)
        try:
            converted = apply_param_override(converted, self.channel.param_override)
        except ParamOverrideError as err:
            raise AdaptorError(f"channel param_override: {err}", 500, "param_override_failed") from err
        return UpstreamRequest(
            method="POST",
            url=self.request_url(),
            headers=self._headers(self.meta.stream),
            body=orjson.dumps(converted),
            stream=self.meta.stream,
            proxy=self._proxy(),
        )

    def converted(self, body: dict) -> dict:
        """The upstream body for the client's: `convert_request` plus the channel's system prompt."""
        converted = self.convert_request(body)
        prompt = self.setting.get("system_prompt")
        kind = self.system_prompt_kind()
        if isinstance(prompt, str) and prompt and kind:
            converted = apply_system_prompt(
                converted, kind, prompt, self.setting.get("system_prompt_override") is True
            )
        return converted

    def json_request(self, url: str, body: dict) -> UpstreamRequest:
        """A whole (non-stream) JSON POST to `url` with this channel's auth, header_override and
        proxy: the side requests a kind makes besides the call itself (token counts, task polls)."""
        return UpstreamRequest("POST", url, self._headers(False), orjson.dumps(body), False, self._proxy())

    async def send(self, client: Any, request: UpstreamRequest) -> Any:
        """The upstream's answer to the built request: an `UpstreamResponse` (status and headers
        in, the body still to read) through the pipeline's pooled `client`. A kind whose call is
        more than one HTTP request (an asynchronous job submitted, then polled) or no HTTP at all
        (a WebSocket protocol) overrides this and hands back a reply the pipeline reads like any
        other (`adaptors/made_reply.py`). May raise UpstreamError, or the client's transport error."""
        return await client.send(request)

    def build_raw_request(self, raw: bytes, content_type: str) -> UpstreamRequest:
        """Forward a multipart form as it came, but for its `model` field after model mapping."""
        if self.meta.fmt not in self.formats:
            raise AdaptorError(f"this channel does not support {self.meta.fmt.value} requests")
        if self.upstream_model != self.meta.origin_model:
            raw = rewrite_form_field(raw, content_type, "model", self.upstream_model)
        headers = self._headers(False)
        headers["Content-Type"] = content_type
        return UpstreamRequest("POST", self.request_url(), headers, raw, False, self._proxy())

    def system_prompt_kind(self) -> Kind | None:
        """Where `build_request` puts the channel's system_prompt in the converted body; None
        when the adaptor places it itself (native protocols apply it to the OpenAI pivot)."""
        return SYSTEM_PROMPT_KINDS.get(self.upstream_format)

    @abc.abstractmethod
    def convert_request(self, body: dict) -> dict:
        """The upstream body for the client's body (may also set upstream_model, reasoning_effort)."""

    @abc.abstractmethod
    def request_url(self) -> str: ...

    @abc.abstractmethod
    def auth_headers(self) -> dict[str, str]: ...

    def _headers(self, stream: bool) -> dict[str, str]:
        client = self.meta.client_headers
        headers = {
            "Content-Type": "application/json",
            "Accept": "text/event-stream" if stream else client.get("accept") or "application/json",
        }
        headers.update(self.auth_headers())
        override = self.channel.header_override
        if isinstance(override, dict):
            for name, value in override.items():
                # header names are case-insensitive: an override replaces, never duplicates
                for existing in [h for h in headers if h.lower() == str(name).lower()]:
                    del headers[existing]
                headers[str(name)] = self._header_value(str(value))
        return headers

    def _header_value(self, template: str) -> str:
        """header_override placeholders: {api_key} and {client_header:Name}."""
        value = template.replace("{api_key}", self.key)
        while "{client_header:" in value:
            start = value.index("{client_header:")
            end = value.find("}", start)
            if end < 0:
                break
            name = value[start + len("{client_header:") : end].strip().lower()
            value = value[:start] + self.meta.client_headers.get(name, "") + value[end + 1 :]
        return value

    def _proxy(self) -> str | None:
        setting = self.channel.setting if isinstance(self.channel.setting, dict) else {}
        proxy = setting.get("proxy")
        return proxy if isinstance(proxy, str) and proxy else None

    # -- response --------------------------------------------------------------------------

    @abc.abstractmethod
    def parse_response(self, raw: bytes, content_type: str | None = None) -> RelayResponse:
        """A 200 body in the client's format plus usage; UpstreamError if it is unusable."""

    @abc.abstractmethod
    def stream_converter(self) -> StreamConverter: ...

    # -- token counting (Claude Messages) ------------------------------------------------------

    def count_tokens_request(self, body: dict) -> UpstreamRequest | None:
        """The provider's own count of a Claude Messages body's input tokens (Anthropic's
        count_tokens, Bedrock's CountTokens, Vertex's count-tokens), or None when this kind has
        none and the gateway counts locally. Call `prepare` first, as for `build_request`."""
        return None

    def parse_count_tokens(self, raw: bytes) -> int | None:
        """The input tokens of a 200 count_tokens reply; None when the reply carries no count."""
        return None

    def parse_error(self, status_code: int, raw: bytes) -> UpstreamError:
        """new-api's extraction rules for a non-200 body (see errors.upstream_error)."""
        return upstream_error(status_code, raw)

    # -- helpers ---------------------------------------------------------------------------

    @property
    def setting(self) -> dict[str, Any]:
        return self.channel.setting if isinstance(self.channel.setting, dict) else {}


# What the registry maps a channel type to: an Adaptor subclass, or a class like VertexAdaptor whose
# constructor picks the concrete flavour (so it is called, never subclassed or inspected).
AdaptorFactory = Callable[[ChannelLike, str, RelayMeta], Adaptor]
