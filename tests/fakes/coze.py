"""A fake Coze v3 chat API (`POST /v3/chat`, Bearer KEY, bot BOT_ID): a streamed chat answers
with Coze's event sequence (chat created / in progress, message deltas, message completed, chat
completed with usage, done); `fail` makes the chat fail with `conversation.chat.failed`; a
non-stream call gets the create-chat JSON (which this gateway must never need)."""

from __future__ import annotations

from dataclasses import dataclass

import orjson
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse

from tests.fakes import openai_wire as ow
from tests.fakes.served import ServedFake

KEY, BOT_ID = "pat_fakecoze", "7350000000000000001"


@dataclass
class FakeCoze(ServedFake):
    fail: bool = False

    def install(self, app: FastAPI) -> None:
        app.add_api_route("/v3/chat", self._chat, methods=["POST"])

    async def _chat(self, request: Request) -> Response:
        raw, headers = await self.record(request)
        if headers.get("authorization") != f"Bearer {KEY}":
            return JSONResponse({"code": 4100, "msg": "authentication is invalid"})
        body = orjson.loads(raw)
        if body.get("bot_id") != BOT_ID or not body.get("user_id") or not body.get("additional_messages"):
            return JSONResponse({"code": 4000, "msg": "bot_id, user_id and additional_messages are required"})
        chat = {"id": "chat-1", "conversation_id": "conv-1", "bot_id": BOT_ID, "status": "in_progress"}
        if body.get("stream") is not True:
            return JSONResponse({"code": 0, "msg": "", "data": chat})
        events: list[tuple[str, object]] = [("conversation.chat.created", chat), ("conversation.chat.in_progress", chat)]
        events += [("conversation.message.delta", {"id": "m1", "role": "assistant", "type": "answer", "content": p,
                                                   "content_type": "text", "chat_id": "chat-1"})
                   for p in ow.REPLY_PIECES]
        if self.fail:
            events.append(("conversation.chat.failed", {**chat, "status": "failed",
                                                        "last_error": {"code": 4011, "msg": "balance insufficient"}}))
        else:
            events += [
                ("conversation.message.completed", {"id": "m1", "role": "assistant", "type": "answer",
                                                    "content": ow.REPLY_TEXT, "content_type": "text"}),
                ("conversation.chat.completed", {**chat, "status": "completed", "usage": {
                    "token_count": ow.PROMPT_TOKENS + ow.COMPLETION_TOKENS, "output_count": ow.COMPLETION_TOKENS,
                    "input_count": ow.PROMPT_TOKENS}}),
                ("done", "[DONE]"),
            ]
        frames = [f"event:{name}\ndata:".encode() + orjson.dumps(data) + b"\n\n" for name, data in events]
        return StreamingResponse(iter(frames), media_type="text/event-stream")
