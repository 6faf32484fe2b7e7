"""A fake Ollama server's management API: `/api/tags`, `/api/pull` (whole or NDJSON progress),
`/api/delete`, `/api/version`. Models pulled join the tag list; `missing-*` names fail the pull
the way Ollama does (an `error` object, in the stream when streaming)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import orjson
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse

from tests.fakes.served import ServedFake

VERSION = "0.5.7"


@dataclass
class FakeOllama(ServedFake):
    models: list[str] = field(default_factory=lambda: ["llama3.2:latest", "qwen2.5:7b"])
    key: str = ""  # when set, requests must carry it as a bearer token

    def _refused(self, headers: dict[str, str]) -> Response | None:
        if self.key and headers.get("authorization") != f"Bearer {self.key}":
            return JSONResponse({"error": "unauthorized"}, status_code=401)
        return None

    def install(self, app: FastAPI) -> None:
        @app.get("/api/tags")
        async def tags(request: Request) -> Response:
            _, headers = await self.record(request)
            return self._refused(headers) or JSONResponse(
                {"models": [{"name": m, "model": m} for m in self.models]}
            )

        @app.get("/api/version")
        async def version(request: Request) -> Response:
            _, headers = await self.record(request)
            return self._refused(headers) or JSONResponse({"version": VERSION})

        @app.post("/api/pull")
        async def pull(request: Request) -> Response:
            raw, headers = await self.record(request)
            refused = self._refused(headers)
            if refused:
                return refused
            body = orjson.loads(raw)
            name = body.get("model") or body.get("name")
            if body.get("stream") is False:
                if name.startswith("missing"):
                    return JSONResponse(
                        {"error": "pull model manifest: file does not exist"}, status_code=500
                    )
                self.models.append(name)
                return JSONResponse({"status": "success"})
            return StreamingResponse(self._progress(name), media_type="application/x-ndjson")

        @app.delete("/api/delete")
        async def delete(request: Request) -> Response:
            raw, headers = await self.record(request)
            refused = self._refused(headers)
            if refused:
                return refused
            name = orjson.loads(raw).get("model")
            if name not in self.models:
                return JSONResponse({"error": f"model '{name}' not found"}, status_code=404)
            self.models.remove(name)
            return Response(status_code=200)

    async def _progress(self, name: str) -> AsyncIterator[bytes]:
        yield orjson.dumps({"status": "pulling manifest"}) + b"\n"
        if name.startswith("missing"):
            yield orjson.dumps({"error": "pull model manifest: file does not exist"}) + b"\n"
            return
        for done in (50, 100):
            yield (
                orjson.dumps(
                    {"status": "downloading", "digest": "sha256:abc", "total": 100, "completed": done}
                )
                + b"\n"
            )
        self.models.append(name)
        yield orjson.dumps({"status": "success"}) + b"\n"
