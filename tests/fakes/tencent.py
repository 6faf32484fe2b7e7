"""A fake Tencent Hunyuan API 3.0 endpoint (POST /, X-TC-Action ChatCompletions): it recomputes
the TC3-HMAC-SHA256 signature from the request it received (host, content-type, action, body
hash, X-TC-Timestamp) with SECRET_KEY and answers AuthFailure.SignatureFailure in Tencent's
envelope when it differs; otherwise a reply or an SSE stream of PascalCase chunks."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import UTC, datetime

import orjson
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse

from tests.fakes import openai_wire as ow
from tests.fakes.served import ServedFake

APP_ID, SECRET_ID, SECRET_KEY = "1300000000", "AKIDfake", "fake-secret-key"
KEY = f"{APP_ID}|{SECRET_ID}|{SECRET_KEY}"


def _sign(key: bytes, msg: str) -> bytes:
    return hmac.new(key, msg.encode("utf-8"), hashlib.sha256).digest()


def expected_authorization(headers: dict[str, str], body: bytes) -> str:
    ts = int(headers.get("x-tc-timestamp", "0"))
    date = datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d")
    signed = "content-type;host;x-tc-action"
    canonical_headers = (f"content-type:{headers.get('content-type', '')}\nhost:{headers.get('host', '')}\n"
                         f"x-tc-action:{headers.get('x-tc-action', '').lower()}\n")
    canonical = f"POST\n/\n\n{canonical_headers}\n{signed}\n{hashlib.sha256(body).hexdigest()}"
    scope = f"{date}/hunyuan/tc3_request"
    string_to_sign = f"TC3-HMAC-SHA256\n{ts}\n{scope}\n{hashlib.sha256(canonical.encode()).hexdigest()}"
    k = _sign(_sign(_sign(("TC3" + SECRET_KEY).encode(), date), "hunyuan"), "tc3_request")
    sig = hmac.new(k, string_to_sign.encode(), hashlib.sha256).hexdigest()
    return f"TC3-HMAC-SHA256 Credential={SECRET_ID}/{scope}, SignedHeaders={signed}, Signature={sig}"


def _error(code: str, message: str) -> JSONResponse:
    return JSONResponse({"Response": {"Error": {"Code": code, "Message": message}, "RequestId": "r-err"}})


@dataclass
class FakeTencent(ServedFake):

    def install(self, app: FastAPI) -> None:
        app.add_api_route("/", self._call, methods=["POST"])

    async def _call(self, request: Request) -> Response:
        raw, headers = await self.record(request)
        if headers.get("x-tc-action") != "ChatCompletions" or headers.get("x-tc-version") != "2023-09-01":
            return _error("InvalidAction", "unknown action or version")
        if not hmac.compare_digest(headers.get("authorization", ""), expected_authorization(headers, raw)):
            return _error("AuthFailure.SignatureFailure", "The provided credentials could not be validated.")
        body = orjson.loads(raw)
        if not isinstance(body.get("Messages"), list) or not body.get("Model"):
            return _error("InvalidParameter", "Messages and Model are required")
        p, c = ow.PROMPT_TOKENS, ow.COMPLETION_TOKENS
        usage = {"PromptTokens": p, "CompletionTokens": c, "TotalTokens": p + c}
        if body.get("Stream") is not True:
            return JSONResponse({"Response": {
                "Id": "h-1", "Created": 1, "Note": "AI generated", "Usage": usage, "RequestId": "r-1",
                "Choices": [{"FinishReason": "stop", "Message": {"Role": "assistant", "Content": ow.REPLY_TEXT}}]}})
        n = len(ow.REPLY_PIECES)
        frames = [b"data: " + orjson.dumps({
            "Id": "h-1", "Created": 1, "Note": "AI generated",
            "Usage": {"PromptTokens": p, "CompletionTokens": i + 1, "TotalTokens": p + i + 1} if i < n - 1 else usage,
            "Choices": [{"FinishReason": "stop" if i == n - 1 else "", "Delta": {"Role": "assistant", "Content": x}}],
        }) + b"\n\n" for i, x in enumerate(ow.REPLY_PIECES)]
        return StreamingResponse(iter(frames), media_type="text/event-stream")
