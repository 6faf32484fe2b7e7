"""Google Vertex AI (channel type 41): Gemini models through Google's publisher endpoints and
Claude models through Anthropic's on Vertex, authorised by an access token bought with the
channel's service-account key (`vertex_token.py`, fetched in `prepare` before the request is built),
or, in express mode (a key that is not a service account's JSON), by the API key in `?key=` on
the project-less URL (Gemini models only, as new-api).

The channel's `other` names the region (or a {model: region, "default": region} map); the project
comes from the key. Gemini bodies are the Gemini adaptor's, Claude bodies the Anthropic adaptor's
without `model` and with Vertex's `anthropic_version`; open models (Llama, `-maas`) take OpenAI
chat bodies at the OpenAI-compatible endpoint. Embeddings (OpenAI's and Gemini's native
embed actions) and Imagen (`/v1/images/generations`) go through `predict`.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import orjson

from backend.models.usage import Usage
from backend.relay.adaptors.anthropic import AnthropicAdaptor
from backend.relay.adaptors.base import (
    Adaptor,
    AdaptorError,
    ChannelLike,
    RelayFormat,
    RelayMeta,
    RelayResponse,
    UpstreamError,
    UpstreamRequest,
)
from backend.relay.adaptors.errors import json_object
from backend.relay.adaptors.gemini import GeminiAdaptor
from backend.relay.adaptors.openai import OpenAIAdaptor
from backend.relay.adaptors.vertex_token import access_token
from backend.relay.convert.count_tokens import claude_count_body
from backend.relay.convert.vertex import (
    CLAUDE_VERSION,
    Credentials,
    VertexKeyError,
    api_base,
    claude_model_id,
    express_base,
    gemini_embed_to_vertex,
    is_claude,
    is_open_model,
    is_service_account,
    model_url,
    openai_to_vertex_embeddings,
    parse_credentials,
    region_for,
    vertex_embeddings,
    vertex_to_gemini_embed,
    vertex_to_openai_embeddings,
)

F = RelayFormat
OPEN_MODELS_PATH = "/endpoints/openapi/chat/completions"


class _VertexAuth:
    """The service-account key, the token it buys, and the regional API base."""

    channel: ChannelLike
    key: str
    meta: RelayMeta
    upstream_model: str

    def _load_key(self) -> None:
        self.token = ""
        self.creds: Credentials | None = None
        if not is_service_account(self.key):
            return  # express mode: the key is an API key
        try:
            self.creds = parse_credentials(self.key)
        except VertexKeyError as err:
            raise AdaptorError(f"Vertex AI channel #{self.channel.id}: {err}", 500, "channel_config_invalid") from err

    def _load_account(self, what: str) -> None:
        """The key, which must be a service account's: express mode serves Gemini models only."""
        self._load_key()
        if self.creds is None:
            raise AdaptorError(f"Vertex AI channel #{self.channel.id}: express mode (an API key) serves Gemini "
                               f"models only; {what} need a service-account key", 500, "channel_config_invalid")

    async def prepare(self, client: Any) -> None:
        if self.creds is None:
            return
        setting = self.channel.setting if isinstance(self.channel.setting, dict) else {}
        proxy = setting.get("proxy") if isinstance(setting.get("proxy"), str) and setting.get("proxy") else None
        self.token = await access_token(client, self.channel.id, self.key, self.creds, proxy)

    def auth_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"} if self.creds is not None else {}

    def _api_base(self) -> str:
        region = region_for(self.channel.other, self.meta.upstream_model)
        if self.creds is None:
            return express_base(self.channel.base_url, region)
        return api_base(self.channel.base_url, self.creds.project_id, region)

    def _keyed(self, url: str) -> str:
        """Express mode names its key in the query."""
        if self.creds is not None:
            return url
        return f"{url}{'&' if '?' in url else '?'}key={quote(self.key, safe='')}"


class VertexGeminiAdaptor(_VertexAuth, GeminiAdaptor):
    """Gemini on Vertex: generateContent / streamGenerateContent under publishers/google;
    embeddings and Imagen through `predict`."""

    formats = frozenset({F.OPENAI_CHAT, F.CLAUDE_MESSAGES, F.GEMINI, F.OPENAI_EMBEDDINGS, F.GEMINI_EMBEDDINGS,
                         F.OPENAI_IMAGES})

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._load_key()

    def request_url(self) -> str:
        url = model_url(self._api_base(), "google", self.upstream_model, self._action)
        return self._keyed(url + "?alt=sse" if self._action == "streamGenerateContent" else url)

    def convert_request(self, body: dict) -> dict:
        if self.meta.fmt == F.OPENAI_EMBEDDINGS:
            self._action = "predict"
            return openai_to_vertex_embeddings(body)
        if self.meta.fmt == F.GEMINI_EMBEDDINGS:
            self._action = "predict"
            return gemini_embed_to_vertex(body)
        return super().convert_request(body)  # Imagen's predict body is the Gemini adaptor's

    def parse_response(self, raw: bytes, content_type: str | None = None) -> RelayResponse:
        fmt = self.meta.fmt
        if fmt not in (F.OPENAI_EMBEDDINGS, F.GEMINI_EMBEDDINGS):
            return super().parse_response(raw, content_type)
        resp = json_object(raw)
        if not vertex_embeddings(resp)[0]:
            raise UpstreamError(502, "Vertex AI answered the embedding call without a vector", code="bad_response_body")
        if fmt == F.OPENAI_EMBEDDINGS:
            body, tokens = vertex_to_openai_embeddings(resp, self.meta.origin_model)
        else:
            body, tokens = vertex_to_gemini_embed(resp, self.meta.path.endswith(":batchEmbedContents"))
        return RelayResponse(orjson.dumps(body), "application/json", Usage(tokens, 0) if tokens else None, "")


class VertexClaudeAdaptor(_VertexAuth, AnthropicAdaptor):
    """Claude on Vertex: rawPredict / streamRawPredict under publishers/anthropic."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._load_account("Claude")

    def convert_request(self, body: dict) -> dict:
        out = super().convert_request(body)
        out.pop("model", None)  # the URL names it
        out["anthropic_version"] = CLAUDE_VERSION
        return out

    def count_tokens_request(self, body: dict) -> UpstreamRequest | None:
        """Vertex's `count-tokens:rawPredict`: Anthropic's count body, the model in Vertex's spelling."""
        if self.meta.fmt != F.CLAUDE_MESSAGES:
            return None
        native = self.converted(body)
        out = {
            **claude_count_body(native, claude_model_id(self.upstream_model)),
            "anthropic_version": CLAUDE_VERSION,
        }
        return self.json_request(model_url(self._api_base(), "anthropic", "count-tokens", "rawPredict"), out)

    def request_url(self) -> str:
        action = "streamRawPredict" if self.meta.stream else "rawPredict"
        return model_url(self._api_base(), "anthropic", claude_model_id(self.upstream_model), action)


class VertexOpenAIAdaptor(_VertexAuth, OpenAIAdaptor):
    """Open models (Llama, `-maas`) on Vertex: its OpenAI-compatible chat endpoint under v1beta1."""

    formats = frozenset({F.OPENAI_CHAT, F.CLAUDE_MESSAGES, F.GEMINI})

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._load_account("open models")

    def request_url(self) -> str:
        assert self.creds is not None  # checked in __init__
        region = region_for(self.channel.other, self.meta.upstream_model)
        return api_base(self.channel.base_url, self.creds.project_id, region, "v1beta1") + OPEN_MODELS_PATH


class VertexAdaptor(Adaptor):
    """The registry's entry for Vertex AI: constructing it gives the Gemini, the Claude or the
    open-model flavour, chosen by the (mapped) model, so the registry and the Responses bridge
    need not know there are three."""

    def __new__(cls, channel: ChannelLike, key: str, meta: RelayMeta) -> Adaptor:  # type: ignore[misc]
        model = meta.upstream_model
        flavour: type[Adaptor] = VertexGeminiAdaptor
        if is_claude(model):
            flavour = VertexClaudeAdaptor
        elif is_open_model(model):
            flavour = VertexOpenAIAdaptor
        return flavour(channel, key, meta)
