"""Xunfei Spark (channel type 18): chat over Spark's WebSocket API, the call's transport owned by
the adaptor (`send`): the signed `wss://.../{version}/chat` URL is dialled, the request frame
sent, and each reply frame handed to the pipeline as an SSE event of a made reply
(`made_reply.MadeResponse`), which `native_chunks` turns into OpenAI chunks. Spark always streams:
a whole reply is assembled from the frames (`buffers_stream`); the last frame (status 2) carries
the usage. Conversions in `backend/relay/convert/xunfei.py`.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator
from email.utils import formatdate
from typing import Any

import orjson
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosedError, InvalidHandshake, InvalidStatus, InvalidURI

from backend.relay.adaptors.base import AdaptorError, RelayResponse, UpstreamError, UpstreamRequest
from backend.relay.adaptors.made_reply import MadeResponse
from backend.relay.adaptors.native_chat import NativeChatAdaptor, chat_chunk
from backend.relay.convert.xunfei import (
    CALLER_CODES,
    XunfeiKeyError,
    api_version,
    domain_for,
    frame_delta,
    frame_error,
    frame_is_last,
    openai_to_xunfei,
    parse_key,
    signed_url,
    ws_base,
)
from backend.relay.sse import SSEEvent
from backend.relay.upstream import UpstreamTransportError

CONNECT_TIMEOUT_S = 30
MAX_FRAME = 16 << 20


class XunfeiAdaptor(NativeChatAdaptor):
    buffers_stream = True

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        try:
            self.spark = parse_key(self.key)
        except XunfeiKeyError as err:
            raise AdaptorError(f"Xunfei channel #{self.channel.id}: {err}", 500, "channel_config_invalid") from err
        self.version = api_version(self.upstream_model, self.meta.query.get("api-version"), self.channel.other)
        self._id = f"chatcmpl-{uuid.uuid4().hex}"

    def request_url(self) -> str:
        """Signed when built: Spark refuses a date more than five minutes off."""
        return signed_url(f"{ws_base(self.channel.base_url)}/{self.version}/chat", self.spark,
                          formatdate(usegmt=True))

    def auth_headers(self) -> dict[str, str]:
        return {}  # the signature is in the URL

    def to_native(self, chat: dict) -> dict:
        return openai_to_xunfei(chat, self.spark.app_id, domain_for(self.version))

    # -- the transport ---------------------------------------------------------------------

    async def send(self, client: Any, request: UpstreamRequest) -> Any:
        try:
            ws = await connect(request.url, max_size=MAX_FRAME, open_timeout=CONNECT_TIMEOUT_S, proxy=request.proxy)
        except InvalidStatus as exc:  # the handshake refused (a bad signature is a 401 with a JSON body)
            raise self.parse_error(exc.response.status_code, bytes(exc.response.body or b"")) from exc
        except (OSError, TimeoutError, InvalidHandshake, InvalidURI) as exc:
            raise UpstreamTransportError(type(exc).__name__) from exc
        try:
            await ws.send((request.body or b"{}").decode())
        except ConnectionClosedError as exc:
            await ws.close()
            raise UpstreamTransportError(type(exc).__name__) from exc
        return MadeResponse(200, "text/event-stream", self._frames(ws), ws.close)

    async def _frames(self, ws: ClientConnection) -> AsyncIterator[bytes]:
        """Each reply frame as one SSE event, until the last (or an error) frame."""
        try:
            async for message in ws:
                try:
                    frame = orjson.loads(message)
                except orjson.JSONDecodeError:
                    continue
                if not isinstance(frame, dict):
                    continue
                yield b"data: " + orjson.dumps(frame) + b"\n\n"
                if frame_is_last(frame) or frame_error(frame) is not None:
                    break
        except ConnectionClosedError as exc:
            raise UpstreamTransportError(type(exc).__name__) from exc
        finally:
            await ws.close()

    # -- replies ---------------------------------------------------------------------------

    def native_chunks(self, event: SSEEvent) -> list[dict]:
        try:
            frame = orjson.loads(event.data)
        except orjson.JSONDecodeError:
            return []
        if not isinstance(frame, dict):
            return []
        failed = frame_error(frame)
        if failed is not None:
            code, message = failed
            raise UpstreamError(400 if code in CALLER_CODES else 500, message, type="xunfei_error", code=str(code))
        text, usage = frame_delta(frame)
        finish = "stop" if frame_is_last(frame) else None
        return [chat_chunk(self._id, self.meta.origin_model, int(time.time()), {"content": text}, finish, usage)]

    def parse_response(self, raw: bytes, content_type: str | None = None) -> RelayResponse:
        return self.assembled(raw, self._id, "Xunfei")
