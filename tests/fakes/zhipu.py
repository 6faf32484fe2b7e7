"""A fake Zhipu v3 model API: `/api/paas/v3/model-api/{model}/invoke` and `/sse-invoke`, which
accept only a JWT that verifies with the secret of KEY (HS256, Zhipu's `sign_type: SIGN` header,
`api_key` claim = the key's id, unexpired), and answer in Zhipu's envelope / `data:`+`meta:` lines.

    with FakeZhipu() as zp:
        make_channel(zp.url, "chatglm_turbo", type_=16, key=KEY); zp.requests[-1].json["prompt"]
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from dataclasses import dataclass

import orjson
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse

from tests.fakes import openai_wire as ow
from tests.fakes.served import ServedFake

KEY_ID, SECRET = "fake-id", "fake-secret"
KEY = f"{KEY_ID}.{SECRET}"


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def token_problem(token: str) -> str | None:
    try:
        head, claims, sig = token.split(".")
        good = hmac.new(SECRET.encode(), f"{head}.{claims}".encode(), hashlib.sha256).digest()
        header, body = orjson.loads(_unb64(head)), orjson.loads(_unb64(claims))
    except (ValueError, orjson.JSONDecodeError):
        return "malformed token"
    if not hmac.compare_digest(good, _unb64(sig)):
        return "bad signature"
    if header.get("alg") != "HS256" or header.get("sign_type") != "SIGN":
        return "bad header"
    if body.get("api_key") != KEY_ID or not body.get("exp", 0) > time.time() * 1000:
        return "bad claims"
    return None


@dataclass
class FakeZhipu(ServedFake):
    fail_with: str = ""  # answer invoke with success=false and this msg

    def install(self, app: FastAPI) -> None:
        app.add_api_route("/api/paas/v3/model-api/{model}/{method}", self._invoke, methods=["POST"])

    async def _invoke(self, request: Request, model: str, method: str) -> Response:
        raw, headers = await self.record(request)
        problem = token_problem(headers.get("authorization", ""))
        if problem:
            return JSONResponse({"code": 1000, "msg": f"auth failed: {problem}", "success": False}, 401)
        body = orjson.loads(raw)
        if not isinstance(body.get("prompt"), list) or "messages" in body:
            return JSONResponse({"code": 1214, "msg": "prompt required", "success": False})
        usage = ow.usage(ow.PROMPT_TOKENS, ow.COMPLETION_TOKENS)
        if method == "invoke":
            if self.fail_with:
                return JSONResponse({"code": 1301, "msg": self.fail_with, "success": False})
            return JSONResponse({"code": 200, "msg": "ok", "success": True, "data": {
                "task_id": "t1", "request_id": "r1", "task_status": "SUCCESS",
                "choices": [{"role": "assistant", "content": f'"{ow.REPLY_TEXT}"'}], "usage": usage}})
        if method == "sse-invoke":
            lines = [f"event:add\nid:r1\ndata:{p}\n\n".encode() for p in ow.REPLY_PIECES]
            lines.append(b"event:finish\nid:r1\ndata:\nmeta:" + orjson.dumps(
                {"task_status": "SUCCESS", "usage": usage, "task_id": "t1", "request_id": "r1"}) + b"\n\n")
            return StreamingResponse(iter(lines), media_type="text/event-stream")
        return JSONResponse({"code": 404, "msg": "no such method", "success": False}, 404)
