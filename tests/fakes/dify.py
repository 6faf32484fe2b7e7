"""A fake Dify app API: `/v1/chat-messages` with the app key as Bearer, answering `blocking` calls
with Dify's message object and `streaming` calls with its event sequence (workflow and node
events, `message` pieces, `message_end` with usage); `fail_stream` ends a stream with `error`."""

from __future__ import annotations

from dataclasses import dataclass

import orjson
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse

from tests.fakes import openai_wire as ow
from tests.fakes.served import ServedFake

KEY = "app-fakedifykey"


@dataclass
class FakeDify(ServedFake):
    fail_stream: bool = False

    def install(self, app: FastAPI) -> None:
        app.add_api_route("/v1/chat-messages", self._chat, methods=["POST"])

    async def _chat(self, request: Request) -> Response:
        raw, headers = await self.record(request)
        if headers.get("authorization") != f"Bearer {KEY}":
            return JSONResponse({"code": "unauthorized", "message": "Access token is invalid", "status": 401}, 401)
        body = orjson.loads(raw)
        if not body.get("query") or not body.get("user") or body.get("inputs") != {}:
            return JSONResponse({"code": "invalid_param", "message": "query, user and inputs required", "status": 400}, 400)
        p, c = ow.PROMPT_TOKENS, ow.COMPLETION_TOKENS
        meta = {"usage": {"prompt_tokens": p, "completion_tokens": c, "total_tokens": p + c}}
        base = {"conversation_id": "conv-1", "message_id": "msg-1", "task_id": "task-1"}
        if body.get("response_mode") == "blocking":
            return JSONResponse({**base, "event": "message", "mode": "advanced-chat", "answer": ow.REPLY_TEXT,
                                 "metadata": meta, "created_at": 1})
        events: list[dict] = [
            {**base, "event": "workflow_started", "data": {"workflow_id": "wf-1"}},
            {**base, "event": "node_started", "data": {"node_type": "llm"}},
        ]
        events += [{**base, "event": "message", "answer": piece} for piece in ow.REPLY_PIECES]
        if self.fail_stream:
            events.append({"event": "error", "status": 400, "code": "provider_quota_exceeded", "message": "quota"})
        else:
            events += [{**base, "event": "node_finished", "data": {"node_type": "llm", "status": "succeeded"}},
                       {**base, "event": "workflow_finished", "data": {"workflow_id": "wf-1", "status": "succeeded"}},
                       {**base, "event": "message_end", "metadata": meta}]
        frames = [b"data: " + orjson.dumps(e) + b"\n\n" for e in events]
        return StreamingResponse(iter(frames), media_type="text/event-stream")
