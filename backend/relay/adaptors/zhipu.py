"""Zhipu (channel type 16): GLM through the v3 model API, `.../model-api/{model}/invoke` or
`/sse-invoke`, authorised by a JWT signed with the key's secret (cached until an hour before it
expires, per key). Conversions in `backend/relay/convert/zhipu.py`."""

from __future__ import annotations

import hashlib
import time
from typing import Any

from backend.relay.adaptors.base import AdaptorError, UpstreamError
from backend.relay.adaptors.native_chat import NativeChatAdaptor
from backend.relay.convert.zhipu import (
    TOKEN_LIFETIME_MS,
    ZhipuKeyError,
    ZhipuStreamParser,
    openai_to_zhipu,
    zhipu_chunk,
    zhipu_error,
    zhipu_to_openai,
    zhipu_token,
)
from backend.relay.sse import SSEEvent

_REFRESH_MS = 3600 * 1000
_tokens: dict[str, tuple[str, int]] = {}  # sha256(key) -> (token, expiry in ms)


def cached_token(key: str) -> str:
    """A JWT for the key, reused while it has more than an hour left (new-api caches them too)."""
    now = int(time.time() * 1000)
    slot = hashlib.sha256(key.encode()).hexdigest()
    hit = _tokens.get(slot)
    if hit is not None and hit[1] - now > _REFRESH_MS:
        return hit[0]
    token = zhipu_token(key, now)
    _tokens[slot] = (token, now + TOKEN_LIFETIME_MS)
    return token


class ZhipuAdaptor(NativeChatAdaptor):
    def request_url(self) -> str:
        method = "sse-invoke" if self.meta.stream else "invoke"
        return f"{self.base_url()}/api/paas/v3/model-api/{self.upstream_model}/{method}"

    def auth_headers(self) -> dict[str, str]:
        try:
            return {"Authorization": cached_token(self.key)}
        except ZhipuKeyError as err:
            raise AdaptorError(f"Zhipu channel #{self.channel.id}: {err}", 500, "channel_config_invalid") from err

    def to_native(self, chat: dict) -> dict:
        return openai_to_zhipu(chat)

    def from_native(self, resp: dict) -> dict:
        failed = zhipu_error(resp)
        if failed is not None:
            raise UpstreamError(500, failed[0], code=failed[1])
        return zhipu_to_openai(resp, self.meta.origin_model, int(time.time()))

    def native_chunks(self, event: SSEEvent) -> list[dict]:
        chunk = zhipu_chunk(event, self.meta.origin_model, int(time.time()))
        if chunk is None:
            raise UpstreamError(500, event.data.decode("utf-8", "replace") or "Zhipu stream failed",
                                code="zhipu_stream_error")
        return [chunk]

    def stream_parser(self, max_line: int) -> Any:
        return ZhipuStreamParser(max_line)
