"""The fake upstream's Realtime API: a WebSocket at /v1/realtime (OpenAI) and /openai/realtime
(Azure). Each `response.create` gets a short text-and-audio response ending in `response.done`
with REALTIME_USAGE, or, when its `response.metadata.fake` is "no-usage", a second of pcm16 audio
with its transcript and a `response.done` without usage; every other client event is echoed back
as `<type>.ack`."""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

import orjson
from fastapi import FastAPI, WebSocket
from starlette.websockets import WebSocketDisconnect

REALTIME_USAGE = {
    "total_tokens": 65, "input_tokens": 30, "output_tokens": 35,
    "input_token_details": {"cached_tokens": 0, "text_tokens": 10, "audio_tokens": 20},
    "output_token_details": {"text_tokens": 5, "audio_tokens": 30},
}  # fmt: skip
TRANSCRIPT = ["Hello", " there", ", friend."]
AUDIO_SECOND = base64.b64encode(b"\0\0" * 24000).decode()  # one second of 24 kHz 16-bit mono


def install(app: FastAPI, record: Callable[[str, str, dict[str, str], dict[str, str]], None]) -> None:
    async def realtime(ws: WebSocket) -> None:
        headers = {k.lower(): v for k, v in ws.headers.items()}
        record("WS", ws.url.path, dict(ws.query_params), headers)
        if not headers.get("authorization") and not headers.get("api-key"):
            await ws.close(code=1008)
            return
        await ws.accept()
        await ws.send_text(orjson.dumps({"type": "session.created", "session": {"model": ws.query_params.get(
            "model") or ws.query_params.get("deployment")}}).decode())
        try:
            while True:
                message = await ws.receive()
                if message["type"] == "websocket.disconnect":
                    return
                if message.get("bytes") is not None:
                    await ws.send_bytes(message["bytes"][::-1])
                    continue
                event: dict[str, Any] = orjson.loads(message["text"])
                if event.get("type") != "response.create":
                    await ws.send_text(orjson.dumps({"type": f"{event.get('type')}.ack"}).decode())
                    continue
                for out in _response(event):
                    await ws.send_text(orjson.dumps(out).decode())
        except WebSocketDisconnect:
            return

    app.add_api_websocket_route("/v1/realtime", realtime)
    app.add_api_websocket_route("/openai/realtime", realtime)


def _response(event: dict[str, Any]) -> list[dict[str, Any]]:
    if ((event.get("response") or {}).get("metadata") or {}).get("fake") != "no-usage":
        return [{"type": "response.created"}, {"type": "response.output_text.delta", "delta": "Hi"},
                {"type": "response.done", "response": {"status": "completed", "usage": REALTIME_USAGE}}]
    return [{"type": "response.created"}, {"type": "response.audio.delta", "delta": AUDIO_SECOND},
            *({"type": "response.audio_transcript.delta", "delta": piece} for piece in TRANSCRIPT),
            {"type": "response.done", "response": {"status": "completed"}}]
