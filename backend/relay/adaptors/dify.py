"""Dify (channel type 37): ChatFlow apps through `/v1/chat-messages` with the app's Bearer key.
The model name only routes; the app decides what runs. Conversions in `backend/relay/convert/dify.py`."""

from __future__ import annotations

import time
import uuid
from typing import Any

import orjson

from backend.config import get_settings
from backend.relay.adaptors.base import AdaptorError, UpstreamError
from backend.relay.adaptors.errors import bad_body
from backend.relay.adaptors.native_chat import NativeChatAdaptor, chat_chunk
from backend.relay.convert.dify import (
    DifyInputError,
    dify_delta,
    dify_end_usage,
    dify_to_openai,
    openai_to_dify,
)
from backend.relay.sse import SSEEvent


class DifyAdaptor(NativeChatAdaptor):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._debug_lines = 0
        self._debug = get_settings().DIFY_DEBUG
        self._id = f"chatcmpl-{uuid.uuid4().hex}"

    def request_url(self) -> str:
        return self.base_url() + "/v1/chat-messages"

    def auth_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}"}

    def to_native(self, chat: dict) -> dict:
        given = chat.get("user")
        user = given if isinstance(given, str) and given else self._id
        try:
            return openai_to_dify(chat, user)
        except DifyInputError as err:
            raise AdaptorError(str(err)) from err

    def from_native(self, resp: dict) -> dict:
        return dify_to_openai(resp, self.meta.origin_model, int(time.time()))

    def native_chunks(self, event: SSEEvent) -> list[dict]:
        try:
            data = orjson.loads(event.data)
        except orjson.JSONDecodeError as err:
            raise bad_body() from err
        if not isinstance(data, dict):
            raise bad_body()
        kind = data.get("event")
        now, model = int(time.time()), self.meta.origin_model
        if kind == "error":
            raise UpstreamError(500, str(data.get("message") or "Dify stream failed"), code=data.get("code") or "dify_error")
        if kind == "message_end":
            usage = dify_end_usage(data, self._debug_lines)
            return [chat_chunk(self._id, model, now, {}, "stop", usage)]
        delta = dify_delta(data, self._debug)
        if delta is None:
            return []
        if "reasoning_content" in delta:
            self._debug_lines += 1
        return [chat_chunk(self._id, model, now, delta)]
