"""A fake of the task providers on loopback: Midjourney-Proxy, Suno-API, OpenAI videos and Kling.

Tasks move on by polls, not by the clock: each time a task is read (MJ `list-by-condition` or
`fetch`, Suno `fetch`, a video retrieve) it goes one step: queued -> in progress (50%) -> done. A
task whose prompt contains `fail` ends in failure; a prompt `refuse` is refused at submit. Finished
results point at `/files/<id>` on this server, which serves `RESULT_BYTES`. Every request is
recorded (`fake.requests`) with its headers, so tests can see which key reached the upstream.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import time
from dataclasses import dataclass, field
from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

from tests.conftest import LiveServer

MJ_KEY = "mj-channel-secret"
SUNO_KEY = "suno-channel-key"
VIDEO_KEY = "sk-video-channel"
KLING_KEY = "kling-ak|kling-sk"
RESULT_BYTES = b"\x89PNG\r\n\x1a\n-fake-result-bytes-" + bytes(range(256))
STEPS = 2  # reads until a task is done


@dataclass
class Job:
    id: str
    kind: str
    prompt: str
    action: str = ""
    reads: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def fails(self) -> bool:
        return "fail" in self.prompt

    def step(self) -> str:
        """Advance one read; "queued", "running", "success" or "failure"."""
        self.reads += 1
        if self.reads == 1:
            return "queued"
        if self.reads < STEPS + 1:
            return "running"
        return "failure" if self.fails else "success"


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: Any


class TaskFake:
    def __init__(self) -> None:
        self.jobs: dict[str, Job] = {}
        self.requests: list[Recorded] = []
        self._ids = itertools.count(1000)
        self.app = self._build()
        self.server = LiveServer(self.app)
        self.url = self.server.url

    def __enter__(self) -> TaskFake:
        self.server.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.__exit__(*exc)

    def submits(self, prefix: str) -> list[Recorded]:
        return [r for r in self.requests if r.method == "POST" and r.path.startswith(prefix)]

    def _new(self, kind: str, prompt: str, action: str = "", **extra: Any) -> Job:
        job = Job(id=f"{kind}-{next(self._ids)}", kind=kind, prompt=prompt, action=action, extra=extra)
        self.jobs[job.id] = job
        return job

    # -- Midjourney-Proxy ----------------------------------------------------------------------

    def _mj_dto(self, job: Job) -> dict[str, Any]:
        state = job.step()
        now = time.time_ns() // 1_000_000
        dto = {"id": job.id, "action": job.action, "prompt": job.prompt, "promptEn": job.prompt,
               "description": "", "state": "", "submitTime": now, "startTime": 0, "finishTime": 0,
               "imageUrl": "", "status": "SUBMITTED", "progress": "0%", "failReason": ""}
        if state == "running":
            dto.update(status="IN_PROGRESS", progress="50%", startTime=now)
        elif state == "success":
            dto.update(status="SUCCESS", progress="100%", startTime=now, finishTime=now,
                       imageUrl=f"{self.url}/files/{job.id}",
                       buttons=[{"customId": f"MJ::JOB::upsample::1::{job.id}", "label": "U1"}])
        elif state == "failure":
            dto.update(status="FAILURE", progress="50%", failReason="banned prompt")
        return dto

    def _build(self) -> FastAPI:  # noqa: C901 - one fake, one route table
        app = FastAPI()
        fake = self

        @app.middleware("http")
        async def record(request: Request, call_next: Any) -> Response:
            raw = await request.body()
            try:
                body = orjson.loads(raw) if raw else None
            except orjson.JSONDecodeError:
                body = raw
            fake.requests.append(Recorded(request.method, request.url.path, dict(request.headers), body))
            return await call_next(request)

        def mj_auth(request: Request) -> bool:
            return request.headers.get("mj-api-secret") == MJ_KEY and "authorization" not in request.headers

        @app.post("/mj-{mode}/mj/submit/{action}")
        async def mj_submit_mode(mode: str, action: str, request: Request) -> Response:
            return await mj_submit(action, request)

        @app.post("/mj/submit/{action}")
        async def mj_submit(action: str, request: Request) -> Response:
            if not mj_auth(request):
                return JSONResponse({"code": 4, "description": "bad secret"}, status_code=401)
            body = orjson.loads(await request.body())
            prompt = body.get("prompt") or ""
            if "refuse" in prompt:
                return JSONResponse({"code": 24, "description": "可能包含敏感词", "properties": {"bannedWord": "refuse"}})
            if action == "upload-discord-images":
                return JSONResponse({"code": 1, "description": "success", "result": [f"{fake.url}/files/up"]})
            job = fake._new("mj", prompt, body.get("action") or action.upper())
            return JSONResponse({"code": 1, "description": "提交成功", "result": job.id, "properties": {}})

        @app.post("/mj/insight-face/swap")
        async def mj_swap(request: Request) -> Response:
            if not mj_auth(request):
                return JSONResponse({"code": 4, "description": "bad secret"}, status_code=401)
            job = fake._new("mj", "InsightFace", "SWAP_FACE")
            return JSONResponse({"code": 1, "description": "提交成功", "result": job.id})

        @app.post("/mj/task/list-by-condition")
        async def mj_list(request: Request) -> Response:
            if not mj_auth(request):
                return JSONResponse({"code": 4, "description": "bad secret"}, status_code=401)
            ids = orjson.loads(await request.body()).get("ids") or []
            return JSONResponse([fake._mj_dto(fake.jobs[i]) for i in ids if i in fake.jobs])

        @app.get("/mj/task/{task_id}/image-seed")
        async def mj_seed(task_id: str, request: Request) -> Response:
            if not mj_auth(request) or task_id not in fake.jobs:
                return JSONResponse({"code": 4, "description": "not found"}, status_code=404)
            return JSONResponse({"code": 1, "description": "success", "result": "4242"})

        # -- Suno-API ------------------------------------------------------------------------

        def bearer(request: Request, key: str) -> bool:
            return request.headers.get("authorization") == f"Bearer {key}"

        @app.post("/suno/submit/{action}")
        async def suno_submit(action: str, request: Request) -> Response:
            if not bearer(request, SUNO_KEY):
                return JSONResponse({"code": "unauthorized", "message": "bad key"}, status_code=401)
            body = orjson.loads(await request.body())
            prompt = body.get("gpt_description_prompt") or body.get("prompt") or ""
            if "refuse" in prompt:
                return JSONResponse({"code": "error", "message": "prompt refused", "data": None})
            if "leak" in prompt:  # an upstream that quotes the key and its own address
                return JSONResponse({"code": "error", "message": f"bad {SUNO_KEY} at http://10.9.8.7:9000/x"},
                                    status_code=400)
            job = fake._new("suno", prompt, action)
            return JSONResponse({"code": "success", "message": "", "data": job.id})

        @app.post("/suno/fetch")
        async def suno_fetch(request: Request) -> Response:
            if not bearer(request, SUNO_KEY):
                return JSONResponse({"code": "unauthorized", "message": "bad key"}, status_code=401)
            ids = orjson.loads(await request.body()).get("ids") or []
            items = []
            for i in ids:
                if i not in fake.jobs:
                    continue
                job = fake.jobs[i]
                state = job.step()
                item: dict[str, Any] = {"task_id": job.id, "action": job.action, "status": "QUEUED",
                                        "progress": "0%", "fail_reason": "", "data": None}
                if state == "running":
                    item.update(status="IN_PROGRESS", progress="50%")
                elif state == "success":
                    item.update(status="SUCCESS", progress="100%",
                                data=[{"id": "clip-1", "audio_url": f"{fake.url}/files/{job.id}.mp3"}])
                elif state == "failure":
                    item.update(status="FAILURE", fail_reason="generation failed")
                items.append(item)
            return JSONResponse({"code": "success", "message": "", "data": items})

        # -- OpenAI videos ---------------------------------------------------------------------

        def video_object(job: Job, state: str | None = None) -> dict[str, Any]:
            obj: dict[str, Any] = {"id": job.id, "object": "video", "model": job.extra.get("model", "sora-2"),
                                   "status": "queued", "progress": 0, "created_at": 1700000000,
                                   "seconds": job.extra.get("seconds", "4"), "size": job.extra.get("size", "720x1280")}
            if state == "running":
                obj.update(status="in_progress", progress=50)
            elif state == "success":
                obj.update(status="completed", progress=100, completed_at=1700000100)
            elif state == "failure":
                obj.update(status="failed", error={"code": "moderation", "message": "video generation failed"})
            return obj

        def openai_refusal(message: str, status: int) -> JSONResponse:
            return JSONResponse({"error": {"message": message, "type": "invalid_request_error"}}, status_code=status)

        @app.post("/v1/videos")
        async def videos_create(request: Request) -> Response:
            if not bearer(request, VIDEO_KEY):
                return openai_refusal("bad key", 401)
            ctype = request.headers.get("content-type", "")
            if "multipart/form-data" in ctype:
                form = await request.form()
                fields = {k: v for k, v in form.items() if isinstance(v, str)}
            else:
                fields = orjson.loads(await request.body())
            prompt = fields.get("prompt") or ""
            if "refuse" in prompt:
                return openai_refusal("content policy", 400)
            job = fake._new("video", prompt, "generate", model=fields.get("model"), seconds=fields.get("seconds", "4"),
                            size=fields.get("size", "720x1280"))
            return JSONResponse(video_object(job))

        @app.get("/v1/videos/{video_id}/content")
        async def videos_content(video_id: str, request: Request) -> Response:
            job = fake.jobs.get(video_id)
            if not bearer(request, VIDEO_KEY) or job is None or job.reads <= STEPS or job.fails:
                return openai_refusal("no content", 404)
            return Response(RESULT_BYTES, media_type="video/mp4")

        @app.post("/v1/videos/{video_id}/remix")
        async def videos_remix(video_id: str, request: Request) -> Response:
            if not bearer(request, VIDEO_KEY) or video_id not in fake.jobs:
                return openai_refusal("not found", 404)
            prompt = orjson.loads(await request.body()).get("prompt") or ""
            job = fake._new("video", prompt, "remix", model=fake.jobs[video_id].extra.get("model"))
            return JSONResponse({**video_object(job), "remixed_from_video_id": video_id})

        @app.get("/v1/videos/{video_id}")
        async def videos_retrieve(video_id: str, request: Request) -> Response:
            if not bearer(request, VIDEO_KEY) or video_id not in fake.jobs:
                return openai_refusal("not found", 404)
            job = fake.jobs[video_id]
            return JSONResponse(video_object(job, job.step()))

        # -- Kling ---------------------------------------------------------------------------

        def kling_auth(request: Request) -> bool:
            raw = request.headers.get("authorization", "").removeprefix("Bearer ")
            try:
                head, body, sig = raw.split(".")
            except ValueError:
                return False
            access, _sep, secret = KLING_KEY.partition("|")
            expected = hmac.new(secret.encode(), f"{head}.{body}".encode(), hashlib.sha256).digest()
            claims = orjson.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
            good_sig = hmac.compare_digest(base64.urlsafe_b64encode(expected).rstrip(b"=").decode(), sig)
            return good_sig and claims.get("iss") == access and claims.get("exp", 0) > time.time()

        @app.post("/v1/videos/{kind}")
        async def kling_submit(kind: str, request: Request) -> Response:
            if not kling_auth(request):
                return JSONResponse({"code": 1000, "message": "auth failed"}, status_code=401)
            body = orjson.loads(await request.body())
            job = fake._new("kling", body.get("prompt") or "", kind, model=body.get("model_name"))
            return JSONResponse({"code": 0, "message": "SUCCEED", "request_id": "r1",
                                 "data": {"task_id": job.id, "task_status": "submitted"}})

        @app.get("/v1/videos/{kind}/{task_id}")
        async def kling_fetch(kind: str, task_id: str, request: Request) -> Response:
            if not kling_auth(request) or task_id not in fake.jobs:
                return JSONResponse({"code": 1201, "message": "not found"}, status_code=404)
            job = fake.jobs[task_id]
            state = job.step()
            data: dict[str, Any] = {"task_id": job.id, "task_status": {"queued": "submitted", "running": "processing",
                                                                      "success": "succeed", "failure": "failed"}[state]}
            if state == "success":
                data["task_result"] = {"videos": [{"id": "v1", "url": f"{fake.url}/files/video-{job.id}.mp4",
                                                   "duration": "5"}]}
            if state == "failure":
                data["task_status_msg"] = "kling failed"
            return JSONResponse({"code": 0, "message": "SUCCEED", "data": data})

        @app.get("/files/{name}")
        async def files(name: str) -> Response:
            return Response(RESULT_BYTES, media_type="image/png" if not name.startswith("video") else "video/mp4")

        return app
