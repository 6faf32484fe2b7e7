"""Baidu (channel type 15): ERNIE chat and embeddings through the wenxinworkshop API, authorised by an access token
(`?access_token=`) bought with the key's client id and secret in `prepare` (`baidu_token.py`).
Conversions in `backend/relay/convert/baidu.py`."""

from __future__ import annotations

from typing import Any

import orjson

from backend.models.usage import Usage
from backend.relay.adaptors.baidu_token import access_token
from backend.relay.adaptors.base import RelayFormat, RelayResponse, UpstreamError
from backend.relay.adaptors.errors import bad_body, json_object
from backend.relay.adaptors.native_chat import NativeChatAdaptor
from backend.relay.convert.baidu import (
    AUTH_ERROR_CODES,
    baidu_chunk,
    baidu_error,
    baidu_to_embeddings,
    baidu_to_openai,
    embeddings_to_baidu,
    endpoint_path,
    openai_to_baidu,
)
from backend.relay.sse import SSEEvent


def _raise(failed: tuple[str, int]) -> None:
    status = 401 if failed[1] in AUTH_ERROR_CODES else 500
    raise UpstreamError(status, failed[0], code=failed[1])


class BaiduAdaptor(NativeChatAdaptor):
    formats = NativeChatAdaptor.formats | {RelayFormat.OPENAI_EMBEDDINGS}
    token = ""

    def convert_request(self, body: dict) -> dict:
        if self.meta.fmt == RelayFormat.OPENAI_EMBEDDINGS:
            return embeddings_to_baidu(body)
        return super().convert_request(body)

    def parse_response(self, raw: bytes, content_type: str | None = None) -> RelayResponse:
        if self.meta.fmt != RelayFormat.OPENAI_EMBEDDINGS:
            return super().parse_response(raw, content_type)
        resp = json_object(raw)
        failed = baidu_error(resp)
        if failed is not None:
            _raise(failed)
        body = baidu_to_embeddings(resp, self.meta.origin_model)
        prompt = body["usage"]["prompt_tokens"]
        return RelayResponse(orjson.dumps(body), "application/json", Usage(prompt, 0) if prompt else None, "")

    async def prepare(self, client: Any) -> None:
        self.token = await access_token(client, self.channel.id, self.base_url(), self.key, self._proxy())

    def request_url(self) -> str:
        return f"{self.base_url()}{endpoint_path(self.upstream_model)}?access_token={self.token}"

    def auth_headers(self) -> dict[str, str]:
        return {}  # the access token rides in the query

    def to_native(self, chat: dict) -> dict:
        return openai_to_baidu(chat)

    def from_native(self, resp: dict) -> dict:
        failed = baidu_error(resp)
        if failed is not None:
            _raise(failed)
        return baidu_to_openai(resp, self.meta.origin_model)

    def native_chunks(self, event: SSEEvent) -> list[dict]:
        try:
            resp = orjson.loads(event.data)
        except orjson.JSONDecodeError as err:
            raise bad_body() from err
        if not isinstance(resp, dict):
            raise bad_body()
        failed = baidu_error(resp)
        if failed is not None:
            _raise(failed)
        return [baidu_chunk(resp, self.meta.origin_model)]
