"""Provider adaptors: `get_adaptor(channel, key, meta)` picks the family by channel type.

The contract (and how the pipeline drives it) is in `base.py`.
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
