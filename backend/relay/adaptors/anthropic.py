"""Anthropic (Claude Messages API): native /v1/messages clients pass through; OpenAI chat
clients are converted both ways (see convert/openai_claude.py and convert/claude_openai.py)."""

from __future__ import annotations

from typing import Any

import orjson

from backend.models import channel_types
from backend.models.usage import Usage
from backend.relay.adaptors.base import (
    Adaptor,
    AdaptorError,
    OptionReader,
    RelayFormat,
    RelayResponse,
    StreamConverter,
    UpstreamRequest,
)
from backend.relay.adaptors.errors import json_object, upstream_error
from backend.relay.adaptors.gemini_client import ClaudeToGeminiStreamConverter
from backend.relay.adaptors.streams import ClaudePassStream, ClaudeToOpenAIStreamConverter
from backend.relay.convert.claude_openai import claude_to_openai_response
from backend.relay.convert.count_tokens import claude_count_body, counted_tokens
from backend.relay.convert.gemini_openai import gemini_to_openai_request
from backend.relay.convert.openai_claude import (
    ClaudeOptions,
    openai_to_claude_request,
    split_thinking_suffix,
    thinking_for,
)
from backend.relay.convert.openai_gemini import openai_to_gemini_response
from backend.relay.convert.usage import claude_usage

F = RelayFormat
DEFAULT_VERSION = "2023-06-01"


def claude_options(model: str, options: OptionReader) -> ClaudeOptions:
    """The `claude.*` options; default_max_tokens is a {model or "default": n} map."""
    per_model = options.get_json("claude.default_max_tokens")
    per_model = per_model if isinstance(per_model, dict) else {}
    base = split_thinking_suffix(model).model
    max_tokens = per_model.get(model) or per_model.get(base) or per_model.get("default") or 8192
    ratio = options.get_float("claude.thinking_adapter_budget_tokens_percentage", 0.8)
    return ClaudeOptions(
        default_max_tokens=int(max_tokens)
        if isinstance(max_tokens, int | float) and max_tokens > 0
        else 8192,
        thinking_adapter=options.get_bool("claude.thinking_adapter_enabled"),
        thinking_budget_ratio=ratio if 0 < ratio < 1 else 0.8,
    )


def apply_native_thinking_suffix(body: dict, model: str, opts: ClaudeOptions) -> str:
    """A reasoning suffix on a native Claude request (`-thinking`, `-thinking-<N>`, `-nothinking`,
    `-high|-medium|-low|-minimal`): strip it and set thinking the way the OpenAI conversion does,
    unless the client set `thinking` itself (`-nothinking` removes it). Returns the model."""
    if not opts.thinking_adapter:
        return model
    suffix = split_thinking_suffix(model)
    if suffix.off:
        body.pop("thinking", None)
    elif "thinking" not in body:
        max_tokens = body.get("max_tokens") if isinstance(body.get("max_tokens"), int) else 0
        budget, max_tokens = thinking_for(suffix, max_tokens or opts.default_max_tokens,
                                          opts.thinking_budget_ratio, opts.default_max_tokens)
        if budget:
            body["max_tokens"] = max_tokens
            body["thinking"] = {"type": "enabled", "budget_tokens": budget}
            body["temperature"] = 1
            body.pop("top_p", None)
            body.pop("top_k", None)
    return suffix.model


class AnthropicAdaptor(Adaptor):
    formats = frozenset({F.OPENAI_CHAT, F.CLAUDE_MESSAGES, F.GEMINI})
    counts_tokens = True

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.upstream_format = F.CLAUDE_MESSAGES

    def request_url(self) -> str:
        base = (
            (self.channel.base_url or channel_types.default_base_url(self.channel.type)).strip().rstrip("/")
        )
        if not base:
            raise AdaptorError(f"channel #{self.channel.id} has no base URL", 500, "channel_base_url_missing")
        return base + ("/messages" if base.endswith("/v1") else "/v1/messages")

    def auth_headers(self) -> dict[str, str]:
        client = self.meta.client_headers
        headers = {
            "x-api-key": self.key,
            "anthropic-version": client.get("anthropic-version") or DEFAULT_VERSION,
        }
        if client.get("anthropic-beta"):
            headers["anthropic-beta"] = client["anthropic-beta"]
        return headers

    def convert_request(self, body: dict) -> dict:
        opts = claude_options(self.upstream_model, self.meta.options)
        if self.meta.fmt == F.GEMINI:  # via the OpenAI shape: one conversion pair per direction
            body = gemini_to_openai_request(body, self.upstream_model, self.meta.stream)
        if self.meta.fmt in (F.OPENAI_CHAT, F.GEMINI):
            out = openai_to_claude_request(body, self.upstream_model, opts)
            effort = body.get("reasoning_effort")
            self.reasoning_effort = effort if isinstance(effort, str) else None
        else:
            out = dict(body)
            out["model"] = apply_native_thinking_suffix(out, self.upstream_model, opts)
            if not isinstance(out.get("max_tokens"), int) or out["max_tokens"] <= 0:
                out["max_tokens"] = opts.default_max_tokens
        self.upstream_model = out["model"]
        return out

    def count_tokens_request(self, body: dict) -> UpstreamRequest | None:
        """Anthropic's `POST /v1/messages/count_tokens`, for the body the call would send."""
        if self.meta.fmt != F.CLAUDE_MESSAGES:
            return None
        native = self.converted(body)
        return self.json_request(
            self.request_url() + "/count_tokens", claude_count_body(native, self.upstream_model)
        )

    def parse_count_tokens(self, raw: bytes) -> int | None:
        try:
            return counted_tokens(orjson.loads(raw))
        except orjson.JSONDecodeError:
            return None

    def parse_response(self, raw: bytes, content_type: str | None = None) -> RelayResponse:
        resp = json_object(raw)
        if resp.get("type") == "error":
            raise upstream_error(500, raw)
        if self.meta.fmt == F.CLAUDE_MESSAGES:
            text = "".join(
                (b.get("text") or b.get("thinking") or "") + (b.get("name") or "")
                for b in resp.get("content") or ()
                if isinstance(b, dict)
            )
            return RelayResponse(raw, "application/json", claude_usage(resp.get("usage")), text)
        body, usage, text = claude_to_openai_response(resp)
        if self.meta.fmt == F.GEMINI:
            shown = usage or Usage(semantics="anthropic")
            body = openai_to_gemini_response(
                body,
                shown.total_prompt_tokens,
                shown.completion_tokens,
                shown.cached_tokens,
                self.meta.origin_model,
            )
        return RelayResponse(orjson.dumps(body), "application/json", usage, text)

    def stream_converter(self) -> StreamConverter:
        if self.meta.fmt == F.CLAUDE_MESSAGES:
            return ClaudePassStream(self.meta)
        if self.meta.fmt == F.GEMINI:
            return ClaudeToGeminiStreamConverter(self.meta)
        return ClaudeToOpenAIStreamConverter(
            self.meta, thinking_to_content=self.setting.get("thinking_to_content") is True
        )
