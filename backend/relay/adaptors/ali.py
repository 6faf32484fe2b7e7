"""Ali / DashScope (channel type 17): chat, embeddings and the rest through DashScope's
OpenAI-compatible mode, rerank through the native text-rerank service (no compatible route),
with the same Bearer key. Conversions in `backend/relay/convert/ali.py`."""

from __future__ import annotations

import orjson

from backend.models.usage import Usage
from backend.relay.adaptors.base import RelayFormat, RelayResponse, UpstreamError
from backend.relay.adaptors.errors import json_object
from backend.relay.adaptors.openai import OpenAIAdaptor
from backend.relay.convert.ali import dashscope_error, dashscope_to_rerank, rerank_to_dashscope

F = RelayFormat
RERANK_PATH = "/api/v1/services/rerank/text-rerank/text-rerank"


class AliAdaptor(OpenAIAdaptor):
    def request_url(self) -> str:
        if self.upstream_format == F.RERANK:
            return self.base_url() + RERANK_PATH
        return super().request_url()

    def convert_request(self, body: dict) -> dict:
        if self.meta.fmt == F.RERANK:
            return rerank_to_dashscope(body, self.upstream_model)
        return super().convert_request(body)

    def parse_response(self, raw: bytes, content_type: str | None = None) -> RelayResponse:
        if self.meta.fmt != F.RERANK:
            return super().parse_response(raw, content_type)
        resp = json_object(raw)
        failed = dashscope_error(resp)
        if failed is not None:
            raise UpstreamError(500, failed[0], type=failed[1], code=failed[1])
        body, tokens = dashscope_to_rerank(resp)
        return RelayResponse(orjson.dumps(body), "application/json", Usage(tokens, 0) if tokens else None, "")
