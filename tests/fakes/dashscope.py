"""A fake DashScope native rerank service (`/api/v1/services/rerank/text-rerank/text-rerank`):
Bearer KEY only, DashScope's `{output: {results}, usage: {total_tokens}}` reply or its
`{code, message}` error object."""

from __future__ import annotations

from dataclasses import dataclass

import orjson
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

from tests.fakes.served import ServedFake

KEY = "sk-dashscope"
RERANK_TOKENS = 23


@dataclass
class FakeDashScope(ServedFake):

    def install(self, app: FastAPI) -> None:
        app.add_api_route("/api/v1/services/rerank/text-rerank/text-rerank", self._rerank, methods=["POST"])

    async def _rerank(self, request: Request) -> Response:
        raw, headers = await self.record(request)
        if headers.get("authorization") != f"Bearer {KEY}":
            return JSONResponse({"code": "InvalidApiKey", "message": "Invalid API-key provided."}, 401)
        body = orjson.loads(raw)
        docs = (body.get("input") or {}).get("documents")
        if not isinstance(docs, list) or not all(isinstance(d, str) for d in docs) or not docs:
            return JSONResponse({"code": "InvalidParameter", "message": "documents must be strings"}, 400)
        params = body.get("parameters") or {}
        ranked = sorted(range(len(docs)), key=lambda i: -len(docs[i]))[: params.get("top_n") or len(docs)]
        results = [{"index": i, "relevance_score": round(1 - n / 10, 2),
                    **({"document": {"text": docs[i]}} if params.get("return_documents") else {})}
                   for n, i in enumerate(ranked)]
        return JSONResponse({"output": {"results": results}, "usage": {"total_tokens": RERANK_TOKENS},
                             "request_id": "req-1"})
