"""Tencent Hunyuan (channel type 23): `ChatCompletions` of API 3.0 at the channel's host,
each request signed with TC3-HMAC-SHA256 over its exact body bytes (so the signature is made
after the body is final: system prompt and param override applied). Conversions and signing
in `backend/relay/convert/tencent.py`."""

from __future__ import annotations

import time
from urllib.parse import urlsplit

import orjson

from backend.relay.adaptors.base import AdaptorError, UpstreamError, UpstreamRequest
from backend.relay.adaptors.errors import bad_body
from backend.relay.adaptors.native_chat import NativeChatAdaptor
from backend.relay.convert.tencent import (
    ACTION,
    VERSION,
    TencentKeyError,
    openai_to_tencent,
    parse_key,
    tc3_authorization,
    tencent_chunk,
    tencent_error,
    tencent_to_openai,
)
from backend.relay.sse import SSEEvent


def _raise(failed: tuple[str, str]) -> None:
    status = 401 if failed[1].startswith("AuthFailure") else 500
    raise UpstreamError(status, failed[0], code=failed[1])


class TencentAdaptor(NativeChatAdaptor):
    def build_request(self, body: dict) -> UpstreamRequest:
        try:
            _, secret_id, secret_key = parse_key(self.key)
        except TencentKeyError as err:
            raise AdaptorError(f"Tencent channel #{self.channel.id}: {err}", 500, "channel_config_invalid") from err
        req = super().build_request(body)
        host = urlsplit(req.url).netloc
        now = int(time.time())
        signed = {
            "Authorization": tc3_authorization(secret_id, secret_key, host, req.body or b"", now),
            "X-TC-Action": ACTION, "X-TC-Version": VERSION, "X-TC-Timestamp": str(now),
        }
        req.headers = {k: v for k, v in req.headers.items() if k.lower() not in {s.lower() for s in signed}}
        req.headers.update(signed)
        return req

    def request_url(self) -> str:
        return self.base_url() + "/"

    def auth_headers(self) -> dict[str, str]:
        return {}  # set by build_request once the body is final

    def to_native(self, chat: dict) -> dict:
        return openai_to_tencent(chat, self.upstream_model)

    def from_native(self, resp: dict) -> dict:
        failed = tencent_error(resp)
        if failed is not None:
            _raise(failed)
        return tencent_to_openai(resp, self.meta.origin_model)

    def native_chunks(self, event: SSEEvent) -> list[dict]:
        try:
            resp = orjson.loads(event.data)
        except orjson.JSONDecodeError as err:
            raise bad_body() from err
        if not isinstance(resp, dict):
            raise bad_body()
        failed = tencent_error(resp)
        if failed is not None:
            _raise(failed)
        return [tencent_chunk(resp, self.meta.origin_model)]
