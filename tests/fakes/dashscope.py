"""A fake DashScope (Ali, channel type 17), every route answering only `Authorization: Bearer KEY`:

- `/compatible-mode/v1/chat/completions`: OpenAI chat, whole or SSE with usage last; refuses a
  `top_p` outside (0, 1) as DashScope does;
- `/api/v2/apps/claude-code-proxy/v1/messages`: Anthropic Messages, whole or SSE;
- `/api/v1/services/rerank/text-rerank/text-rerank`: the native rerank;
- `/api/v1/services/aigc/text2image/image-synthesis`: an image job, only with
  `X-DashScope-Async: enable`; `/api/v1/tasks/{id}` answers RUNNING once, then SUCCEEDED with
  `/files/...` URLs (or FAILED for a prompt containing "forbidden");
- `/api/v1/services/aigc/multimodal-generation/generation`: qwen-image, answered at once;
- `/files/{name}`: the generated PNG bytes.

Errors in DashScope's `{code, message, request_id}` shape.
"""

from __future__ import annotations

import base64
import itertools
from dataclasses import dataclass, field

import orjson
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse

from tests.fakes import anthropic_wire as aw
from tests.fakes import openai_wire as ow
from tests.fakes.served import ServedFake

KEY = "sk-dashscope"
RERANK_TOKENS = 23
PNG = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==")


def _error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"code": code, "message": message, "request_id": "req-fake"}, status)


@dataclass
class FakeDashScope(ServedFake):
    jobs: dict[str, dict] = field(default_factory=dict)  # task id -> {prompt, n, polls}

    def install(self, app: FastAPI) -> None:
        self._ids = itertools.count(1)
        app.add_api_route("/compatible-mode/v1/chat/completions", self._chat, methods=["POST"])
        app.add_api_route("/api/v2/apps/claude-code-proxy/v1/messages", self._claude, methods=["POST"])
        app.add_api_route("/api/v1/services/rerank/text-rerank/text-rerank", self._rerank, methods=["POST"])
        app.add_api_route("/api/v1/services/aigc/text2image/image-synthesis", self._submit, methods=["POST"])
        app.add_api_route("/api/v1/services/aigc/multimodal-generation/generation", self._qwen_image,
                          methods=["POST"])
        app.add_api_route("/api/v1/tasks/{job}", self._task, methods=["GET"])
        app.add_api_route("/files/{name}", self._file, methods=["GET"])

    async def _authorised(self, request: Request) -> tuple[dict | None, dict[str, str], Response | None]:
        raw, headers = await self.record(request)
        if headers.get("authorization") != f"Bearer {KEY}":
            return None, headers, _error(401, "InvalidApiKey", "Invalid API-key provided.")
        return (orjson.loads(raw) if raw else {}), headers, None

    # -- text ------------------------------------------------------------------------------

    async def _chat(self, request: Request) -> Response:
        body, _, early = await self._authorised(request)
        if early is not None:
            return early
        top_p = body.get("top_p")
        if top_p is not None and not 0 < top_p < 1:
            return _error(400, "InvalidParameter", "Range of top_p should be (0.0, 1.0)")
        usage = ow.usage(ow.PROMPT_TOKENS, ow.COMPLETION_TOKENS)
        if body.get("stream") is not True:
            return JSONResponse(ow.chat_completion(body, reasoning=False, usage_obj=usage))
        mode = "separate" if (body.get("stream_options") or {}).get("include_usage") else "last"
        chunks = ow.chat_chunks(body, reasoning=False, usage_obj=usage, usage_mode=mode)
        frames = [b"data: " + orjson.dumps(c) + b"\n\n" for c in chunks] + [b"data: [DONE]\n\n"]
        return StreamingResponse(iter(frames), media_type="text/event-stream")

    async def _claude(self, request: Request) -> Response:
        body, _, early = await self._authorised(request)
        if early is not None:
            return early
        problem = aw.validate(body)
        if problem:
            return JSONResponse(aw.error_body(400, problem), 400)
        p, c = ow.PROMPT_TOKENS, ow.COMPLETION_TOKENS
        if body.get("stream") is not True:
            return JSONResponse(aw.message(body, p, c))
        frames = [b"event: " + n.encode() + b"\ndata: " + orjson.dumps(e) + b"\n\n" for n, e in aw.events(body, p, c)]
        return StreamingResponse(iter(frames), media_type="text/event-stream")

    async def _rerank(self, request: Request) -> Response:
        body, _, early = await self._authorised(request)
        if early is not None:
            return early
        docs = (body.get("input") or {}).get("documents")
        if not isinstance(docs, list) or not all(isinstance(d, str) for d in docs) or not docs:
            return _error(400, "InvalidParameter", "documents must be strings")
        params = body.get("parameters") or {}
        ranked = sorted(range(len(docs)), key=lambda i: -len(docs[i]))[: params.get("top_n") or len(docs)]
        results = [{"index": i, "relevance_score": round(1 - n / 10, 2),
                    **({"document": {"text": docs[i]}} if params.get("return_documents") else {})}
                   for n, i in enumerate(ranked)]
        return JSONResponse({"output": {"results": results}, "usage": {"total_tokens": RERANK_TOKENS},
                             "request_id": "req-1"})

    # -- images ----------------------------------------------------------------------------

    async def _submit(self, request: Request) -> Response:
        body, headers, early = await self._authorised(request)
        if early is not None:
            return early
        if headers.get("x-dashscope-async") != "enable":
            return _error(403, "AccessDenied", "current user api does not support synchronous calls")
        prompt = (body.get("input") or {}).get("prompt")
        if not isinstance(prompt, str) or not prompt:
            return _error(400, "InvalidParameter", "input.prompt is required")
        job = f"task-{next(self._ids)}"
        self.jobs[job] = {"prompt": prompt, "n": (body.get("parameters") or {}).get("n") or 1, "polls": 0}
        return JSONResponse({"output": {"task_id": job, "task_status": "PENDING"}, "request_id": "req-fake"})

    async def _task(self, request: Request, job: str) -> Response:
        _, _, early = await self._authorised(request)
        if early is not None:
            return early
        state = self.jobs.get(job)
        if state is None:
            return _error(404, "NotFound", f"task {job} not found")
        state["polls"] += 1
        output: dict = {"task_id": job, "task_status": "RUNNING"}
        if state["polls"] > 1 and "forbidden" in state["prompt"]:
            output.update(task_status="FAILED", code="DataInspectionFailed",
                          message="Output data may contain inappropriate content.")
        elif state["polls"] > 1:
            output.update(task_status="SUCCEEDED",
                          results=[{"url": f"{self.url}/files/{job}-{i}.png"} for i in range(state["n"])])
            return JSONResponse({"output": output, "usage": {"image_count": state["n"]}, "request_id": "req-fake"})
        return JSONResponse({"output": output, "request_id": "req-fake"})

    async def _qwen_image(self, request: Request) -> Response:
        body, _, early = await self._authorised(request)
        if early is not None:
            return early
        messages = (body.get("input") or {}).get("messages") or []
        if not messages or not any(part.get("text") for part in messages[0].get("content") or ()):
            return _error(400, "InvalidParameter", "input.messages[0].content needs a text")
        content = [{"image": f"{self.url}/files/qwen-{next(self._ids)}.png"}]
        return JSONResponse({"output": {"choices": [{"finish_reason": "stop", "message": {
            "role": "assistant", "content": content}}]}, "usage": {"width": 1024, "height": 1024, "image_count": 1},
            "request_id": "req-fake"})

    async def _file(self, request: Request, name: str) -> Response:
        await self.record(request)
        return Response(PNG, media_type="image/png")
