"""Coze (channel type 49): bots through `/v3/chat` with the personal access token as Bearer; the
bot id is the channel's `other`. Coze is always asked for a stream: a client that wants a whole
reply gets it assembled from that stream (`buffers_stream`) instead of new-api's create / poll
retrieve every second / list messages round trips. Conversions in `backend/relay/convert/coze.py`."""

from __future__ import annotations

import time
import uuid
from typing import Any

import orjson

from backend.relay.adaptors.base import AdaptorError, RelayResponse, UpstreamError
from backend.relay.adaptors.errors import bad_body
from backend.relay.adaptors.native_chat import NativeChatAdaptor, chat_chunk
from backend.relay.convert.coze import CozeFailure, coze_event, openai_to_coze
from backend.relay.sse import SSEEvent


class CozeAdaptor(NativeChatAdaptor):
    buffers_stream = True

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._id = f"chatcmpl-{uuid.uuid4().hex}"

    def request_url(self) -> str:
        return self.base_url() + "/v3/chat"

    def auth_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}"}

    def to_native(self, chat: dict) -> dict:
        bot = (self.channel.other or "").strip()
        if not bot:
            raise AdaptorError(f"Coze channel #{self.channel.id} names no bot id (its `other` field)", 500,
                               "channel_config_invalid")
        given = chat.get("user")
        user = given if isinstance(given, str) and given else self._id
        return openai_to_coze(chat, bot, user)

    def native_chunks(self, event: SSEEvent) -> list[dict]:
        try:
            data = orjson.loads(event.data)
        except orjson.JSONDecodeError:
            data = None  # Coze's `done` event carries a bare "[DONE]"-like payload
        try:
            delta, usage = coze_event(event.event, data)
        except CozeFailure as err:
            raise UpstreamError(500, err.message, code=err.code) from err
        if delta is None:
            return []
        finish = "stop" if event.event == "conversation.chat.completed" else None
        return [chat_chunk(self._id, self.meta.origin_model, int(time.time()), delta, finish, usage)]

    def parse_response(self, raw: bytes, content_type: str | None = None) -> RelayResponse:
        """The whole reply from the buffered stream (or Coze's JSON error answered with a 200)."""
        if raw.lstrip()[:1] == b"{":
            try:
                resp = orjson.loads(raw)
            except orjson.JSONDecodeError as err:
                raise bad_body() from err
            raise UpstreamError(500, str(resp.get("msg") or "Coze call failed"), code=resp.get("code") or "coze_error")
        return self.assembled(raw, self._id, "Coze")
