"""Channel snapshots and request metadata for adaptor tests."""

from __future__ import annotations

from typing import Any

from backend.cache.channels import ChannelInfo
from backend.relay.adaptors import Adaptor, RelayFormat, RelayMeta, get_adaptor


def channel(type_id: int = 1, base_url: str = "", **overrides: Any) -> ChannelInfo:
    fields: dict[str, Any] = {
        "id": 7,
        "type": type_id,
        "name": "test",
        "status": 1,
        "keys": ("sk-chan",),
        "base_url": base_url,
        "other": "",
        "models": (),
        "groups": ("default",),
        "priority": 0,
        "weight": 0,
        "auto_ban": 1,
        "openai_organization": "",
        "tag": "",
    }
    fields.update(overrides)
    return ChannelInfo(**fields)


def meta(
    fmt: RelayFormat = RelayFormat.OPENAI_CHAT, model: str = "gpt-4o", upstream: str | None = None, **kw: Any
) -> RelayMeta:
    return RelayMeta(fmt=fmt, origin_model=model, upstream_model=upstream or model, **kw)


def adaptor(ch: ChannelInfo, m: RelayMeta | None = None, key: str = "sk-chan") -> Adaptor:
    return get_adaptor(ch, key, m or meta())
