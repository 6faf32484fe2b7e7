"""Google Gemini (AI Studio API): OpenAI chat and embeddings converted to generateContent and
batchEmbedContents; native Gemini requests (/v1beta/models/{m}:{action}) pass through."""

from __future__ import annotations

import time
from typing import Any

import orjson

from backend.config import get_settings
from backend.models import channel_types
from backend.models.usage import Usage
from backend.relay.adaptors.base import (
    Adaptor,
    AdaptorError,
    OptionReader,
    RelayFormat,
    RelayMeta,
    RelayResponse,
    StreamConverter,
    UpstreamError,
)
from backend.relay.adaptors.errors import json_object, upstream_error
from backend.relay.adaptors.streams import OpenAIStream, claude_error_frame, gemini_error_frame, load_json
from backend.relay.convert.claude_openai import claude_to_openai_request
from backend.relay.convert.gemini_openai import (
    GeminiToOpenAIStream,
    gemini_embeddings_to_openai,
    gemini_to_openai_response,
    gemini_usage,
    no_candidates_status,
)
from backend.relay.convert.openai_claude import OpenAIToClaudeStream, openai_to_claude_response
from backend.relay.convert.openai_gemini import (
    GeminiOptions,
    imagen_to_openai_response,
    openai_to_gemini_embeddings,
    openai_to_gemini_request,
    openai_to_imagen_request,
    thinking_config,
)
from backend.relay.sse import SSEEvent, event_frame

F = RelayFormat


def gemini_options(options: OptionReader) -> GeminiOptions:
    """The `gemini.*` options and the vision image limit."""
    safety = options.get_json("gemini.safety_settings")
    return GeminiOptions(
        thinking_adapter=options.get_bool("gemini.thinking_adapter_enabled"),
        thinking_budget_ratio=options.get_float("gemini.thinking_adapter_budget_tokens_percentage", 0.6)
        or 0.6,
        safety={str(k): str(v) for k, v in safety.items()} if isinstance(safety, dict) else {},
        max_images=get_settings().GEMINI_VISION_MAX_IMAGE_NUM,
    )


def api_version(model: str, other: str | None) -> str:
    if other and other.strip():
        return other.strip()
    return "v1" if model.startswith("gemini-1.0") else "v1beta"


def native_action(path: str) -> str:
    """`generateContent` from /v1beta/models/gemini-2.0-flash:generateContent."""
    last = path.rstrip("/").rsplit("/", 1)[-1]
    return last.split(":", 1)[1] if ":" in last else "generateContent"


def native_embed_body(body: dict, model: str) -> dict:
    """A native embed body for the upstream model: the pipeline's `model` key dropped (the path
    names the model), and each batch request's `model` naming the mapped model, as the API checks."""
    out = {k: v for k, v in body.items() if k != "model"}
    requests = out.get("requests")
    if isinstance(requests, list):
        out["requests"] = [{**r, "model": f"models/{model}"} if isinstance(r, dict) else r for r in requests]
    return out


class GeminiStream(OpenAIStream):
    """OpenAI-format client, Gemini upstream: a gateway-made finish chunk closes the stream.
    Complete once a candidate carried its finishReason (Gemini streams have no [DONE])."""

    FINISH_ENDS_STREAM = False

    def __init__(self, meta: RelayMeta, thinking_to_content: bool = False) -> None:
        super().__init__(meta, thinking_to_content)
        self.conv = GeminiToOpenAIStream(meta.origin_model)

    def feed(self, event: SSEEvent) -> list[bytes]:
        obj = load_json(event.data)
        if not isinstance(obj, dict):
            return []
        if isinstance(obj.get("error"), dict):
            self.error = upstream_error(500, event.data)
            return []  # the pipeline writes the (redacted) error frame
        frames: list[bytes] = []
        for chunk in self.conv.feed(obj):
            frames += self._emit(chunk, None)
        self.usage = self.conv.usage
        self.complete = self.conv.finish_reason is not None
        return frames

    def finish(self, usage: Usage) -> list[bytes]:
        return self._emit(self.conv.closing(), None) + super().finish(usage)


class GeminiPassStream(StreamConverter):
    """Native Gemini client: chunks forwarded as they are (no [DONE] in Gemini streams)."""

    def feed(self, event: SSEEvent) -> list[bytes]:
        obj = load_json(event.data)
        if not isinstance(obj, dict):
            return []
        usage = gemini_usage(obj.get("usageMetadata"))
        if usage is not None:
            self.usage = usage
        for cand in obj.get("candidates") or ():
            if not isinstance(cand, dict):
                continue
            if cand.get("finishReason"):
                self.complete = True
            for part in (cand.get("content") or {}).get("parts") or ():
                if isinstance(part, dict) and isinstance(part.get("text"), str):
                    self._text.append(part["text"])
        if isinstance(obj.get("error"), dict):
            self.error = upstream_error(500, event.data)
            return []  # the pipeline writes the (redacted) error frame
        return [b"data: " + event.data + b"\n\n"]

    def finish(self, usage: Usage) -> list[bytes]:
        return []

    error_frame = staticmethod(gemini_error_frame)


class GeminiToClaudeStream(StreamConverter):
    """Claude client (/v1/messages), Gemini upstream: Gemini -> OpenAI chunks -> Claude events."""

    def __init__(self, meta: RelayMeta) -> None:
        super().__init__(meta)
        self.to_openai = GeminiToOpenAIStream(meta.origin_model)
        self.to_claude = OpenAIToClaudeStream(meta.origin_model, meta.prompt_tokens)

    def feed(self, event: SSEEvent) -> list[bytes]:
        obj = load_json(event.data)
        if not isinstance(obj, dict):
            return []
        if isinstance(obj.get("error"), dict):
            self.error = upstream_error(500, event.data)
            return []  # the pipeline writes the (redacted) error event
        frames: list[bytes] = []
        for chunk in self.to_openai.feed(obj):
            delta = chunk["choices"][0]["delta"]
            self._text.append((delta.get("content") or "") + (delta.get("reasoning_content") or ""))
            for call in delta.get("tool_calls") or ():
                self._text.append(call["function"]["name"] + call["function"]["arguments"])
            frames += [event_frame(kind, payload) for kind, payload in self.to_claude.feed(chunk)]
        self.usage = self.to_openai.usage
        self.complete = self.to_openai.finish_reason is not None
        return frames

    error_frame = staticmethod(claude_error_frame)

    def finish(self, usage: Usage) -> list[bytes]:
        events = self.to_claude.feed(self.to_openai.closing()) + self.to_claude.finish(usage)
        return [event_frame(kind, payload) for kind, payload in events]


class GeminiAdaptor(Adaptor):
    formats = frozenset(
        {
            F.OPENAI_CHAT,
            F.CLAUDE_MESSAGES,
            F.OPENAI_EMBEDDINGS,
            F.OPENAI_IMAGES,
            F.GEMINI,
            F.GEMINI_EMBEDDINGS,
        }
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._action = "generateContent"

    def request_url(self) -> str:
        base = (
            (self.channel.base_url or channel_types.default_base_url(self.channel.type)).strip().rstrip("/")
        )
        if not base:
            raise AdaptorError(f"channel #{self.channel.id} has no base URL", 500, "channel_base_url_missing")
        version = api_version(self.upstream_model, self.channel.other)
        url = f"{base}/{version}/models/{self.upstream_model}:{self._action}"
        return url + "?alt=sse" if self._action == "streamGenerateContent" else url

    def auth_headers(self) -> dict[str, str]:
        return {"x-goog-api-key": self.key}

    def convert_request(self, body: dict) -> dict:
        fmt = self.meta.fmt
        if fmt == F.OPENAI_EMBEDDINGS:
            self._action = "batchEmbedContents"
            self.upstream_format = F.GEMINI_EMBEDDINGS
            return openai_to_gemini_embeddings(body, self.upstream_model)
        if fmt == F.GEMINI_EMBEDDINGS:
            self._action = native_action(self.meta.path)
            return native_embed_body(body, self.upstream_model)
        if fmt == F.OPENAI_IMAGES:
            self._action = "predict"
            return openai_to_imagen_request(body)
        opts = gemini_options(self.meta.options)
        if fmt == F.CLAUDE_MESSAGES:
            body = claude_to_openai_request(body, self.upstream_model)
        if fmt in (F.OPENAI_CHAT, F.CLAUDE_MESSAGES):
            self.upstream_format = F.GEMINI
            out, self.upstream_model = openai_to_gemini_request(body, self.upstream_model, opts)
            self._action = "streamGenerateContent" if self.meta.stream else "generateContent"
            effort = body.get("reasoning_effort")
            self.reasoning_effort = effort if isinstance(effort, str) else None
            return out
        out = {k: v for k, v in body.items() if k != "model"}  # the path names it (the pipeline adds it)
        self._action = native_action(self.meta.path)
        config = dict(out.get("generationConfig") or {})
        self.upstream_model, thinking = thinking_config(
            self.upstream_model, {}, config.get("maxOutputTokens"), opts
        )
        if thinking is not None and "thinkingConfig" not in config:
            out["generationConfig"] = {**config, "thinkingConfig": thinking}
        return out

    def parse_response(self, raw: bytes, content_type: str | None = None) -> RelayResponse:
        resp = json_object(raw)
        fmt = self.meta.fmt
        if fmt == F.OPENAI_EMBEDDINGS:
            body = gemini_embeddings_to_openai(resp, self.meta.origin_model)
            return RelayResponse(orjson.dumps(body), "application/json", None, "")
        if fmt == F.GEMINI_EMBEDDINGS:
            return RelayResponse(raw, "application/json", None, "")
        if fmt == F.OPENAI_IMAGES:
            body = imagen_to_openai_response(resp, int(time.time()))
            if not body["data"]:
                raise UpstreamError(
                    400,
                    "Imagen returned no image (the prompt may have been filtered)",
                    code="gemini_no_candidates",
                    param="",
                )
            return RelayResponse(orjson.dumps(body), "application/json", None, "")
        if not resp.get("candidates"):
            status, message = no_candidates_status(resp)
            raise UpstreamError(status, message, code="gemini_no_candidates", param="")
        body, usage, text = gemini_to_openai_response(resp, self.meta.origin_model)
        if fmt == F.GEMINI:
            return RelayResponse(raw, "application/json", usage, text)
        if fmt == F.CLAUDE_MESSAGES:
            shown = usage or Usage(self.meta.prompt_tokens, 0)
            if usage is None and self.meta.count_tokens is not None:
                shown = usage = Usage(self.meta.prompt_tokens, self.meta.count_tokens(text))
            claude = openai_to_claude_response(body, shown, self.meta.origin_model)
            return RelayResponse(orjson.dumps(claude), "application/json", usage, text)
        return RelayResponse(orjson.dumps(body), "application/json", usage, text)

    def stream_converter(self) -> StreamConverter:
        if self.meta.fmt == F.GEMINI:
            return GeminiPassStream(self.meta)
        if self.meta.fmt == F.CLAUDE_MESSAGES:
            return GeminiToClaudeStream(self.meta)
        return GeminiStream(self.meta, thinking_to_content=self.setting.get("thinking_to_content") is True)
