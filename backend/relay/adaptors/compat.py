"""Providers that speak OpenAI's format at an address of their own making."""

from __future__ import annotations

from backend.relay.adaptors.base import AdaptorError, RelayFormat
from backend.relay.adaptors.openai import OpenAIAdaptor

F = RelayFormat


class CloudflareAdaptor(OpenAIAdaptor):
    """Workers AI: the OpenAI-compatible API lives under the account, whose ID is `channel.other`."""

    formats = frozenset({F.OPENAI_CHAT, F.OPENAI_EMBEDDINGS, F.CLAUDE_MESSAGES, F.GEMINI})

    def request_url(self) -> str:
        account = (self.channel.other or "").strip()
        if not account:
            raise AdaptorError(
                f"Cloudflare channel #{self.channel.id} needs its account ID in `other`",
                500,
                "channel_config_invalid",
            )
        base = self.base_url()
        if "gateway.ai.cloudflare.com" in base:  # an AI Gateway URL already names the account
            return base + self.upstream_path().removeprefix("/v1")
        return f"{base}/client/v4/accounts/{account}/ai/v1{self.upstream_path().removeprefix('/v1')}"


class CohereAdaptor(OpenAIAdaptor):
    """Cohere: chat and embeddings through its compatibility API, rerank through the native v2 API
    (same request shape as Jina's)."""

    formats = frozenset({F.OPENAI_CHAT, F.OPENAI_EMBEDDINGS, F.RERANK, F.CLAUDE_MESSAGES, F.GEMINI})

    def request_url(self) -> str:
        if self.upstream_format == F.RERANK:
            return self.base_url() + "/v2/rerank"
        return super().request_url()
