"""The OpenAI wire format: OpenAI itself and every OpenAI-compatible provider, Azure, Custom.

Request rules (new-api's OpenAI adaptor): a `-xhigh|-high|-medium|-low|-minimal|-none` model suffix
becomes reasoning_effort; o1/o3/o4/gpt-5 models take max_completion_tokens and no temperature, and
o1/o3/o4 read a leading system message as `developer`; include_usage is forced on streams where
the provider accepts stream_options (FORCE_STREAM_OPTION) and removed where it does not.
"""

from __future__ import annotations

from typing import Any

import orjson

from backend.config import get_settings
from backend.models import channel_types
from backend.models.usage import Usage
from backend.relay.adaptors.base import (
    OPENAI_PATHS,
    Adaptor,
    AdaptorError,
    RelayFormat,
    RelayResponse,
    StreamConverter,
)
from backend.relay.adaptors.errors import json_object, upstream_error
from backend.relay.adaptors.gemini_client import OpenAIToGeminiStreamConverter
from backend.relay.adaptors.streams import OpenAIStream, OpenAIToClaudeStreamConverter, ResponsesPassStream
from backend.relay.convert.claude_openai import claude_to_openai_request
from backend.relay.convert.gemini_embeddings import (
    gemini_embed_to_openai_request,
    openai_to_gemini_embed_response,
)
from backend.relay.convert.gemini_openai import gemini_to_openai_request
from backend.relay.convert.openai_claude import openai_to_claude_response
from backend.relay.convert.openai_gemini import openai_to_gemini_response
from backend.relay.convert.usage import openai_usage, responses_usage

F = RelayFormat
EFFORT_SUFFIXES = ("-xhigh", "-high", "-medium", "-low", "-minimal", "-none")
JSON_FORMATS = frozenset(OPENAI_PATHS) - {F.CLAUDE_MESSAGES}
STREAMED_CHAT = (F.OPENAI_CHAT, F.OPENAI_COMPLETIONS)


def split_effort_suffix(model: str) -> tuple[str, str | None]:
    """("o3-mini", "high") for "o3-mini-high"; the model unchanged when there is no suffix."""
    for suffix in EFFORT_SUFFIXES:
        if model.endswith(suffix) and len(model) > len(suffix):
            return model[: -len(suffix)], suffix[1:]
    return model, None


def is_reasoning_model(model: str) -> bool:
    """Models that reject max_tokens and a non-default temperature."""
    return model.startswith(("o1", "o3", "o4", "gpt-5"))


def takes_developer_role(model: str) -> bool:
    return model in ("o1", "o1-2024-12-17") or model.startswith(("o3", "o4"))


def apply_reasoning_rules(body: dict, model: str) -> None:
    if not is_reasoning_model(model):
        return
    if body.get("max_tokens") and not body.get("max_completion_tokens"):
        body["max_completion_tokens"] = body["max_tokens"]
    body.pop("max_tokens", None)
    body.pop("temperature", None)
    messages = body.get("messages")
    if takes_developer_role(model) and isinstance(messages, list) and messages:
        first = messages[0]
        if isinstance(first, dict) and first.get("role") == "system":
            body["messages"] = [{**first, "role": "developer"}, *messages[1:]]  # never edit the caller's list


def _completion_text(fmt: RelayFormat, resp: dict) -> str:
    parts: list[str] = []
    if fmt == F.OPENAI_RESPONSES:
        for item in resp.get("output") or ():
            for content in (item.get("content") or ()) if isinstance(item, dict) else ():
                if isinstance(content, dict) and isinstance(content.get("text"), str):
                    parts.append(content["text"])
        return "".join(parts)
    for choice in resp.get("choices") or ():
        if not isinstance(choice, dict):
            continue
        if isinstance(choice.get("text"), str):
            parts.append(choice["text"])
        msg = choice.get("message")
        if isinstance(msg, dict):
            for name in ("reasoning_content", "reasoning", "content"):
                if isinstance(msg.get(name), str):
                    parts.append(msg[name])
    return "".join(parts)


def _response_usage(fmt: RelayFormat, resp: dict) -> Usage | None:
    raw = resp.get("usage")
    if fmt in (F.OPENAI_RESPONSES, F.OPENAI_IMAGES, F.OPENAI_IMAGE_EDITS, F.OPENAI_IMAGE_VARIATIONS) or (
        isinstance(raw, dict) and "input_tokens" in raw
    ):
        return responses_usage(raw)
    # Cohere bills rerank in search units, not tokens: None lets the pipeline count the
    # query and documents, as new-api does for every rerank
    return openai_usage(raw)


class OpenAIAdaptor(Adaptor):
    formats = JSON_FORMATS | {F.CLAUDE_MESSAGES, F.GEMINI, F.GEMINI_EMBEDDINGS}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.ctype = channel_types.channel_type(self.channel.type)

    @property
    def supports_stream_options(self) -> bool:
        """new-api forces include_usage only where the provider accepts stream_options."""
        return self.ctype.stream_options

    # -- URL and headers -------------------------------------------------------------------

    def base_url(self) -> str:
        base = (self.channel.base_url or self.ctype.base_url).strip().rstrip("/")
        if not base:
            raise AdaptorError(f"channel #{self.channel.id} has no base URL", 500, "channel_base_url_missing")
        return base

    def upstream_path(self) -> str:
        if self.upstream_format == F.OPENAI_RESPONSES and self.meta.path.rstrip("/").endswith("/compact"):
            return "/v1/responses/compact"
        return OPENAI_PATHS[self.upstream_format]

    def request_url(self) -> str:
        base = self.base_url()
        path = self.upstream_path()
        prefix = self.ctype.path_prefix
        if "gateway.ai.cloudflare.com" in base:
            prefix = ""  # Cloudflare AI Gateway bases already name the provider's API root
        # a base that already ends with the version prefix (".../v1") must not get it twice
        if prefix and base.endswith(prefix):
            prefix = ""
        return base + prefix + path.removeprefix("/v1")

    def auth_headers(self) -> dict[str, str]:
        headers: dict[str, str] = {}
        if self.key:
            headers["Authorization"] = f"Bearer {self.key}"
        if self.channel.openai_organization:
            headers["OpenAI-Organization"] = self.channel.openai_organization
        if self.channel.type == channel_types.OPENROUTER_ID:
            headers["HTTP-Referer"] = self.meta.options.get("ServerAddress")
            headers["X-Title"] = self.meta.options.get("SystemName")
        return headers

    # -- body ------------------------------------------------------------------------------

    def convert_request(self, body: dict) -> dict:
        fmt = self.meta.fmt
        if fmt == F.CLAUDE_MESSAGES:
            out = claude_to_openai_request(body, self.upstream_model)
            self.upstream_format = F.OPENAI_CHAT
        elif fmt == F.GEMINI:
            out = gemini_to_openai_request(body, self.upstream_model, self.meta.stream)
            self.upstream_format = F.OPENAI_CHAT
        elif fmt == F.GEMINI_EMBEDDINGS:
            out = gemini_embed_to_openai_request(body, self.upstream_model)
            self.upstream_format = F.OPENAI_EMBEDDINGS
        else:
            out = dict(body)
            if "model" in out or fmt in STREAMED_CHAT or fmt == F.OPENAI_RESPONSES:
                out["model"] = self.upstream_model
        if self.upstream_format in (F.OPENAI_CHAT, F.OPENAI_RESPONSES):
            model, effort = split_effort_suffix(self.upstream_model)
            if effort:
                self.upstream_model = out["model"] = model
                if self.upstream_format == F.OPENAI_RESPONSES:
                    out["reasoning"] = {**(out.get("reasoning") or {}), "effort": effort}
                else:
                    out["reasoning_effort"] = effort
            if self.upstream_format == F.OPENAI_CHAT:
                apply_reasoning_rules(out, self.upstream_model)
            effort = out.get("reasoning_effort") or (out.get("reasoning") or {}).get("effort")
            self.reasoning_effort = effort if isinstance(effort, str) else None
        if self.upstream_format in STREAMED_CHAT:
            self._shape_stream_options(out)
        return out

    def _shape_stream_options(self, out: dict) -> None:
        if out.get("stream") is True and self.supports_stream_options and get_settings().FORCE_STREAM_OPTION:
            options = out.get("stream_options")
            out["stream_options"] = {**(options if isinstance(options, dict) else {}), "include_usage": True}
        elif out.get("stream") is not True or not self.supports_stream_options:
            out.pop("stream_options", None)

    # -- response --------------------------------------------------------------------------

    def parse_response(self, raw: bytes, content_type: str | None = None) -> RelayResponse:
        fmt = self.meta.fmt
        if fmt == F.OPENAI_AUDIO_SPEECH:
            return RelayResponse(raw, content_type or "audio/mpeg")
        is_json = not content_type or "json" in content_type
        if fmt in (F.OPENAI_AUDIO_TRANSCRIPTIONS, F.OPENAI_AUDIO_TRANSLATIONS) and not is_json:
            # text, srt and vtt formats: nothing to read but the text itself
            return RelayResponse(raw, content_type or "text/plain", None, raw.decode("utf-8", "replace"))
        resp = json_object(raw)
        if isinstance(resp.get("error"), dict) and not resp.get("choices") and not resp.get("data"):
            raise upstream_error(500, raw)
        upstream_fmt = self.upstream_format
        usage = _response_usage(upstream_fmt, resp)
        text = _completion_text(upstream_fmt, resp)
        if fmt == F.GEMINI_EMBEDDINGS:
            body = openai_to_gemini_embed_response(resp, self.meta.path.endswith(":batchEmbedContents"))
            return RelayResponse(orjson.dumps(body), "application/json", usage, "")
        if fmt in (F.CLAUDE_MESSAGES, F.GEMINI):
            if usage is None and self.meta.count_tokens is not None:
                usage = Usage(self.meta.prompt_tokens, self.meta.count_tokens(text))
            shown = usage or Usage(self.meta.prompt_tokens, 0)
            if fmt == F.GEMINI:
                body = openai_to_gemini_response(
                    resp,
                    shown.total_prompt_tokens,
                    shown.completion_tokens,
                    shown.cached_tokens,
                    self.meta.origin_model,
                )
            else:
                body = openai_to_claude_response(resp, shown, self.meta.origin_model)
            return RelayResponse(orjson.dumps(body), "application/json", usage, text)
        return RelayResponse(raw, "application/json", usage, text)

    def stream_converter(self) -> StreamConverter:
        fmt = self.meta.fmt
        if fmt == F.CLAUDE_MESSAGES:
            return OpenAIToClaudeStreamConverter(self.meta)
        if fmt == F.OPENAI_RESPONSES:
            return ResponsesPassStream(self.meta)
        if fmt == F.GEMINI:
            return OpenAIToGeminiStreamConverter(self.meta)
        return OpenAIStream(self.meta, thinking_to_content=self.setting.get("thinking_to_content") is True)


class AzureAdaptor(OpenAIAdaptor):
    """Azure OpenAI: deployment URLs, api-version query, `api-key` header."""

    def api_version(self) -> str:
        return (
            self.meta.query.get("api-version")
            or (self.channel.other or "").strip()
            or get_settings().AZURE_DEFAULT_API_VERSION
        )

    def request_url(self) -> str:
        base = self.base_url()
        version = self.api_version()
        if self.upstream_format == F.OPENAI_RESPONSES:
            return f"{base}/openai{self.upstream_path().removeprefix('/v1')}?api-version={version}"
        deployment = self.upstream_model.replace(".", "")
        task = self.upstream_path().removeprefix("/v1/")
        return f"{base}/openai/deployments/{deployment}/{task}?api-version={version}"

    def auth_headers(self) -> dict[str, str]:
        return {"api-key": self.key}


class CustomAdaptor(OpenAIAdaptor):
    """Custom (type 8): base_url is the whole endpoint URL; `{model}` is filled in."""

    def request_url(self) -> str:
        return self.base_url().replace("{model}", self.upstream_model)
