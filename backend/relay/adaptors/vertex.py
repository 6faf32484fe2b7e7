"""Google Vertex AI (channel type 41): Gemini models through Google's publisher endpoints and
Claude models through Anthropic's on Vertex, both authorised by an access token bought with the
channel's service-account key (`vertex_token.py`, fetched in `prepare` before the request is built).

The channel's `other` names the region (or a {model: region, "default": region} map); the project
comes from the key. Gemini bodies are the Gemini adaptor's, Claude bodies the Anthropic adaptor's
without `model` and with Vertex's `anthropic_version`.
"""

from __future__ import annotations

from typing import Any

from backend.relay.adaptors.anthropic import AnthropicAdaptor
from backend.relay.adaptors.base import (
    Adaptor,
    AdaptorError,
    ChannelLike,
    RelayFormat,
    RelayMeta,
    UpstreamRequest,
)
from backend.relay.adaptors.gemini import GeminiAdaptor
from backend.relay.adaptors.vertex_token import access_token
from backend.relay.convert.count_tokens import claude_count_body
from backend.relay.convert.vertex import (
    CLAUDE_VERSION,
    Credentials,
    VertexKeyError,
    api_base,
    claude_model_id,
    is_claude,
    model_url,
    parse_credentials,
    region_for,
)

F = RelayFormat


class _VertexAuth:
    """The service-account key, the token it buys, and the regional API base."""

    channel: ChannelLike
    key: str
    meta: RelayMeta
    upstream_model: str

    def _load_key(self) -> None:
        try:
            self.creds: Credentials = parse_credentials(self.key)
        except VertexKeyError as err:
            raise AdaptorError(f"Vertex AI channel #{self.channel.id}: {err}", 500, "channel_config_invalid") from err
        self.token = ""

    async def prepare(self, client: Any) -> None:
        setting = self.channel.setting if isinstance(self.channel.setting, dict) else {}
        proxy = setting.get("proxy") if isinstance(setting.get("proxy"), str) and setting.get("proxy") else None
        self.token = await access_token(client, self.channel.id, self.key, self.creds, proxy)

    def auth_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def _api_base(self) -> str:
        region = region_for(self.channel.other, self.meta.upstream_model)
        return api_base(self.channel.base_url, self.creds.project_id, region)


class VertexGeminiAdaptor(_VertexAuth, GeminiAdaptor):
    """Gemini on Vertex: generateContent / streamGenerateContent under publishers/google."""

    formats = frozenset({F.OPENAI_CHAT, F.CLAUDE_MESSAGES, F.GEMINI})

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._load_key()

    def request_url(self) -> str:
        url = model_url(self._api_base(), "google", self.upstream_model, self._action)
        return url + "?alt=sse" if self._action == "streamGenerateContent" else url


class VertexClaudeAdaptor(_VertexAuth, AnthropicAdaptor):
    """Claude on Vertex: rawPredict / streamRawPredict under publishers/anthropic."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._load_key()

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


class VertexAdaptor(Adaptor):
    """The registry's entry for Vertex AI: constructing it gives the Gemini or the Claude flavour,
    chosen by the (mapped) model, so the registry and the Responses bridge need not know there are
    two."""

    def __new__(cls, channel: ChannelLike, key: str, meta: RelayMeta) -> Adaptor:  # type: ignore[misc]
        flavour = VertexClaudeAdaptor if is_claude(meta.upstream_model) else VertexGeminiAdaptor
        return flavour(channel, key, meta)
