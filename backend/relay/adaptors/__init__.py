"""Provider adaptors: `get_adaptor(channel, key, meta)` picks the family by channel type.

The contract (and how the pipeline drives it) is in `base.py`. What each family serves:

| family (types) | client formats |
|---|---|
| OpenAI (1 and every OpenAI-compatible type), Azure (3), Custom (8) | every OpenAI format, Claude Messages, Gemini |
| Ollama (4) | chat, completions, embeddings (native /api/embed), Claude Messages, Gemini |
| Cloudflare (39), Cohere (34) | chat, embeddings (+ rerank on Cohere), Claude Messages, Gemini |
| Anthropic (14), AWS Bedrock (33) | OpenAI chat, Claude Messages (pass-through), Gemini |
| Gemini (24) | OpenAI chat, embeddings, images (Imagen :predict), Claude Messages, Gemini (pass-through) |
| Codex (57) | Responses (ChatGPT's Codex backend); Chat through the Responses pivot |

OpenAI Responses clients reach every family: natively on OpenAI, Azure and Codex, through the Chat
pivot elsewhere (`responses_bridge.py`).

Other families (Midjourney, task APIs, Vertex, native Chinese providers) raise
AdaptorError 500 `channel_type_not_supported`.
"""

from __future__ import annotations

from backend.relay.adaptors.base import (
    Adaptor,
    AdaptorError,
    ChannelLike,
    RelayFormat,
    RelayMeta,
    RelayResponse,
    StreamConverter,
    UpstreamError,
    UpstreamRequest,
)
from backend.relay.adaptors.registry import get_adaptor, get_adaptor_class

__all__ = [
    "Adaptor",
    "AdaptorError",
    "ChannelLike",
    "RelayFormat",
    "RelayMeta",
    "RelayResponse",
    "StreamConverter",
    "UpstreamError",
    "UpstreamRequest",
    "get_adaptor",
    "get_adaptor_class",
]
