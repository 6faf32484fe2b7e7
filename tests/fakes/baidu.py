"""A fake Baidu ERNIE API: the OAuth token endpoint (`/oauth/2.0/token`, client_credentials,
answering a wrong client with 200 + `error` as Baidu does) and the wenxinworkshop chat and
embeddings endpoints,
which accept only a token it issued (`?access_token=`) and answer in ERNIE's shapes."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import orjson
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse

from tests.conftest import LiveServer
from tests.fakes import openai_wire as ow
from tests.fakes.upstream import RecordedRequest

CLIENT_ID, CLIENT_SECRET = "fake-client", "fake-secret"
KEY = f"{CLIENT_ID}|{CLIENT_SECRET}"


@dataclass
class FakeBaidu:
    requests: list[RecordedRequest] = field(default_factory=list)
    exchanges: int = 0
    url: str = ""

    def __post_init__(self) -> None:
        self._issued: set[str] = set()
        self._serial = itertools.count(1)
        self._server: LiveServer | None = None
        self.app = FastAPI()
        self.app.add_api_route("/oauth/2.0/token", self._token, methods=["POST"])
        self.app.add_api_route("/rpc/2.0/ai_custom/v1/wenxinworkshop/chat/{name}", self._chat, methods=["POST"])
        self.app.add_api_route("/rpc/2.0/ai_custom/v1/wenxinworkshop/embeddings/{name}", self._embed, methods=["POST"])

    def __enter__(self) -> FakeBaidu:
        self._server = LiveServer(self.app).__enter__()
        self.url = self._server.url
        return self

    def __exit__(self, *exc: object) -> None:
        if self._server is not None:
            self._server.__exit__(*exc)

    async def _token(self, request: Request) -> Response:
        q = request.query_params
        if q.get("grant_type") != "client_credentials" or q.get("client_id") != CLIENT_ID \
                or q.get("client_secret") != CLIENT_SECRET:
            return JSONResponse({"error": "invalid_client", "error_description": "unknown client id"})
        self.exchanges += 1
        token = f"24.fake-{next(self._serial)}"
        self._issued.add(token)
        return JSONResponse({"access_token": token, "expires_in": 2592000})

    async def _chat(self, request: Request, name: str) -> Response:
        raw = await request.body()
        headers = {k.lower(): v for k, v in request.headers.items()}
        self.requests.append(RecordedRequest("POST", request.url.path, str(request.url),
                                             dict(request.query_params), headers, raw))
        if request.query_params.get("access_token") not in self._issued:
            return JSONResponse({"error_code": 110, "error_msg": "Access token invalid or no longer valid"})
        body = orjson.loads(raw)
        if not isinstance(body.get("messages"), list) or any(m.get("role") == "system" for m in body["messages"]):
            return JSONResponse({"error_code": 336003, "error_msg": "the role of message is invalid"})
        p, c = ow.PROMPT_TOKENS, ow.COMPLETION_TOKENS
        usage = {"prompt_tokens": p, "completion_tokens": c, "total_tokens": p + c}
        if body.get("stream") is not True:
            return JSONResponse({"id": "as-1", "object": "chat.completion", "created": 1, "result": ow.REPLY_TEXT,
                                 "is_truncated": False, "need_clear_history": False, "usage": usage})
        n = len(ow.REPLY_PIECES)
        frames = [b"data: " + orjson.dumps({
            "id": "as-1", "object": "chat.completion", "created": 1, "sentence_id": i, "is_end": i == n - 1,
            "result": piece, "usage": usage if i == n - 1 else {"prompt_tokens": p, "total_tokens": 0}}) + b"\n\n"
            for i, piece in enumerate(ow.REPLY_PIECES)]
        return StreamingResponse(iter(frames), media_type="text/event-stream")

    async def _embed(self, request: Request, name: str) -> Response:
        raw = await request.body()
        headers = {k.lower(): v for k, v in request.headers.items()}
        self.requests.append(RecordedRequest("POST", request.url.path, str(request.url),
                                             dict(request.query_params), headers, raw))
        if request.query_params.get("access_token") not in self._issued:
            return JSONResponse({"error_code": 110, "error_msg": "Access token invalid or no longer valid"})
        texts = orjson.loads(raw).get("input")
        if not isinstance(texts, list) or not all(isinstance(t, str) for t in texts):
            return JSONResponse({"error_code": 336003, "error_msg": "input must be a list of strings"})
        return JSONResponse({"id": "e-1", "object": "embedding_list", "created": 1,
                             "data": [{"object": "embedding", "embedding": ow.EMBEDDING, "index": i}
                                      for i in range(len(texts))],
                             "usage": {"prompt_tokens": ow.PROMPT_TOKENS, "total_tokens": ow.PROMPT_TOKENS}})
