"""Fakes of the video providers behind `backend/relay/tasks/providers/`: Jimeng (Volcengine's
signed visual API), Vidu, Doubao (Ark content generation) and Veo on the Gemini API on one loopback
server, and Veo on Vertex AI as an extension of the Vertex fake (its token endpoint included).

Each checks its own auth, answers a prompt containing `refuse` with a refusal at submit, and moves a
task on by polls like tests/fakes/task_upstream.py (`Job`): queued, running, then done, or failed
when the prompt contains `fail`. Finished videos are `RESULT_BYTES`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
from typing import Any
from urllib.parse import quote

import orjson
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

from tests.fakes.served import ServedFake
from tests.fakes.task_upstream import RESULT_BYTES, Job
from tests.fakes.vertex import PROJECT, FakeVertex

JIMENG_KEY = "jimeng-ak|jimeng-sk"
VIDU_KEY = "vidu-channel-key"
DOUBAO_KEY = "ark-channel-key"
GEMINI_KEY = "gemini-channel-key"


def _jimeng_signature_ok(method: str, path: str, query: dict[str, str], headers: dict[str, str], body: bytes) -> bool:
    """Volcengine's HMAC-SHA256 check, recomputed from what arrived (host, date, body hash)."""
    access, _sep, secret = JIMENG_KEY.partition("|")
    auth = headers.get("authorization", "")
    try:
        credential, signed, signature = (part.split("=", 1)[1] for part in auth.removeprefix("HMAC-SHA256 ").split(", "))
    except (ValueError, IndexError):
        return False
    ak, short, region, service, _req = credential.split("/")
    if ak != access or hashlib.sha256(body).hexdigest() != headers.get("x-content-sha256"):
        return False
    names = signed.split(";")
    if set(names) != {"content-type", "host", "x-content-sha256", "x-date"}:
        return False
    canonical_query = "&".join(f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in sorted(query.items()))
    canonical = "\n".join([method, path, canonical_query, "".join(f"{n}:{headers.get(n, '')}\n" for n in names),
                           signed, headers["x-content-sha256"]])
    scope = f"{short}/{region}/{service}/request"
    to_sign = f"HMAC-SHA256\n{headers.get('x-date', '')}\n{scope}\n{hashlib.sha256(canonical.encode()).hexdigest()}"
    key = secret.encode()
    for part in (short, region, service, "request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    expected = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, signature) and (region, service) == ("cn-north-1", "cv")


class VideoProviderFake(ServedFake):
    def __post_init__(self) -> None:
        self.jobs: dict[str, Job] = {}
        self._ids = itertools.count(1)
        super().__post_init__()

    def _new(self, kind: str, prompt: str, **extra: Any) -> Job:
        job = Job(id=f"{kind}-{next(self._ids)}", kind=kind, prompt=prompt, extra=extra)
        self.jobs[job.id] = job
        return job

    def bodies(self, path_part: str) -> list[Any]:
        return [orjson.loads(r.body) for r in self.requests if path_part in r.url and r.method == "POST" and r.body]

    def install(self, app: FastAPI) -> None:  # noqa: C901 - one fake, one route table
        fake = self

        # -- Jimeng ------------------------------------------------------------------------------
        @app.post("/")
        async def jimeng(request: Request) -> Response:
            raw, headers = await fake.record(request)
            query = dict(request.query_params)
            if not _jimeng_signature_ok("POST", "/", query, headers, raw):
                return JSONResponse({"code": 50400, "message": "Access Denied: signature"}, 401)
            body = orjson.loads(raw)
            if query.get("Action") == "CVSync2AsyncSubmitTask":
                if "refuse" in body.get("prompt", ""):
                    return JSONResponse({"code": 50411, "message": "Pre Text Risk Not Pass", "data": None})
                job = fake._new("jimeng", body.get("prompt", ""), req_key=body.get("req_key"))
                return JSONResponse({"code": 10000, "message": "Success", "data": {"task_id": job.id}})
            job = fake.jobs.get(body.get("task_id", ""))
            if query.get("Action") != "CVSync2AsyncGetResult" or job is None \
                    or body.get("req_key") != job.extra["req_key"]:
                return JSONResponse({"code": 50413, "message": "task not found"}, 400)
            state = job.step()
            if state == "failure":
                return JSONResponse({"code": 50412, "message": "Post Video Risk Not Pass", "data": None})
            status = {"queued": "in_queue", "running": "generating", "success": "done"}[state]
            data = {"status": status, "video_url": f"{fake.url}/files/{job.id}.mp4" if state == "success" else ""}
            return JSONResponse({"code": 10000, "message": "Success", "data": data})

        # -- Vidu --------------------------------------------------------------------------------
        @app.post("/ent/v2/{path}")
        async def vidu_submit(path: str, request: Request) -> Response:
            raw, headers = await fake.record(request)
            if headers.get("authorization") != f"Token {VIDU_KEY}":
                return JSONResponse({"code": 401, "message": "unauthorized"}, 401)
            body = orjson.loads(raw)
            if "refuse" in body.get("prompt", ""):
                return JSONResponse({"code": 400, "reason": "BadRequest", "message": "prompt refused"}, 400)
            job = fake._new("vidu", body.get("prompt", ""), path=path)
            return JSONResponse({"task_id": job.id, "state": "created", "model": body.get("model")})

        @app.get("/ent/v2/tasks/{task_id}/creations")
        async def vidu_fetch(task_id: str, request: Request) -> Response:
            _raw, headers = await fake.record(request)
            job = fake.jobs.get(task_id)
            if headers.get("authorization") != f"Token {VIDU_KEY}" or job is None:
                return JSONResponse({"code": 404, "message": "not found"}, 404)
            state = job.step()
            answer: dict[str, Any] = {"id": job.id, "state": {"queued": "queueing", "running": "processing",
                                                              "success": "success", "failure": "failed"}[state],
                                      "err_code": "AuditSubmitIllegal" if state == "failure" else "", "creations": []}
            if state == "success":
                answer["creations"] = [{"id": "c1", "url": f"{fake.url}/files/{job.id}.mp4", "cover_url": ""}]
            return JSONResponse(answer)

        # -- Doubao (Ark) ------------------------------------------------------------------------
        @app.post("/api/v3/contents/generations/tasks")
        async def doubao_submit(request: Request) -> Response:
            raw, headers = await fake.record(request)
            if headers.get("authorization") != f"Bearer {DOUBAO_KEY}":
                return JSONResponse({"error": {"code": "AuthenticationError", "message": "bad key"}}, 401)
            body = orjson.loads(raw)
            texts = [i.get("text", "") for i in body.get("content", []) if i.get("type") == "text"]
            if "refuse" in "".join(texts):
                return JSONResponse({"error": {"code": "InputTextSensitiveContentDetected",
                                               "message": "the prompt may contain sensitive content"}}, 400)
            job = fake._new("cgt", "".join(texts), model=body.get("model"))
            return JSONResponse({"id": job.id})

        @app.get("/api/v3/contents/generations/tasks/{task_id}")
        async def doubao_fetch(task_id: str, request: Request) -> Response:
            _raw, headers = await fake.record(request)
            job = fake.jobs.get(task_id)
            if headers.get("authorization") != f"Bearer {DOUBAO_KEY}" or job is None:
                return JSONResponse({"error": {"code": "NotFound", "message": "not found"}}, 404)
            state = job.step()
            answer: dict[str, Any] = {"id": job.id, "model": job.extra["model"],
                                      "status": {"queued": "queued", "running": "running", "success": "succeeded",
                                                 "failure": "failed"}[state]}
            if state == "success":
                answer["content"] = {"video_url": f"{fake.url}/files/{job.id}.mp4"}
            if state == "failure":
                answer["error"] = {"code": "OutputVideoSensitiveContentDetected", "message": "the video was blocked"}
            return JSONResponse(answer)

        # -- Veo on the Gemini API ---------------------------------------------------------------
        @app.post("/v1beta/models/{target}")
        async def gemini_submit(target: str, request: Request) -> Response:
            raw, headers = await fake.record(request)
            if headers.get("x-goog-api-key") != GEMINI_KEY:
                return JSONResponse({"error": {"code": 403, "message": "API key not valid"}}, 403)
            model, _sep, action = target.partition(":")
            body = orjson.loads(raw)
            prompt = body["instances"][0]["prompt"]
            if action != "predictLongRunning" or "refuse" in prompt:
                return JSONResponse({"error": {"code": 400, "message": "the prompt was blocked",
                                               "status": "INVALID_ARGUMENT"}}, 400)
            job = fake._new("op", prompt, model=model)
            return JSONResponse({"name": f"models/{model}/operations/{job.id}"})

        @app.get("/v1beta/models/{model}/operations/{op}")
        async def gemini_operation(model: str, op: str, request: Request) -> Response:
            _raw, headers = await fake.record(request)
            job = fake.jobs.get(op)
            if headers.get("x-goog-api-key") != GEMINI_KEY or job is None:
                return JSONResponse({"error": {"code": 404, "message": "not found"}}, 404)
            state = job.step()
            name = f"models/{model}/operations/{op}"
            if state in ("queued", "running"):
                return JSONResponse({"name": name})
            if state == "failure":
                return JSONResponse({"name": name, "done": True, "error": {"code": 3, "message": "video blocked"}})
            uri = f"{fake.url}/v1beta/files/{op}:download?alt=media"
            return JSONResponse({"name": name, "done": True, "response": {
                "@type": "type.googleapis.com/google.ai.generativelanguage.v1beta.PredictLongRunningResponse",
                "generateVideoResponse": {"generatedSamples": [{"video": {"uri": uri}}]}}})

        @app.get("/v1beta/files/{target}")
        async def gemini_download(target: str, request: Request) -> Response:
            _raw, headers = await fake.record(request)
            if headers.get("x-goog-api-key") != GEMINI_KEY:
                return JSONResponse({"error": {"code": 403, "message": "API key not valid"}}, 403)
            return Response(RESULT_BYTES, media_type="video/mp4")

        @app.get("/files/{name}")
        async def files(name: str) -> Response:
            return Response(RESULT_BYTES, media_type="video/mp4")


class VeoVertexFake(FakeVertex):
    """The Vertex fake plus Veo's long-running predict and its operation fetch."""

    def __post_init__(self) -> None:
        self.jobs: dict[str, Job] = {}
        self.predicts: list[dict[str, Any]] = []  # the bodies of Veo submits
        self._op_ids = itertools.count(1)
        super().__post_init__()

    async def _model(self, request: Request, project: str, region: str, publisher: str, target: str) -> Response:
        model, _sep, action = target.partition(":")
        if action not in ("predictLongRunning", "fetchPredictOperation"):
            return await super()._model(request, project, region, publisher, target)
        raw = await request.body()
        token = request.headers.get("authorization", "").removeprefix("Bearer ")
        if token not in self._issued or request.headers.get("x-goog-user-project") != PROJECT:
            return JSONResponse({"error": {"code": 401, "message": "invalid authentication credentials"}}, 401)
        body = orjson.loads(raw)
        if action == "predictLongRunning":
            self.predicts.append(body)
            prompt = body["instances"][0]["prompt"]
            if "refuse" in prompt or body["parameters"].get("sampleCount") != 1:
                return JSONResponse({"error": {"code": 400, "message": "the prompt was blocked"}}, 400)
            job = Job(id=f"vop-{next(self._op_ids)}", kind="vertex", prompt=prompt)
            self.jobs[job.id] = job
            name = f"projects/{project}/locations/{region}/publishers/google/models/{model}/operations/{job.id}"
            return JSONResponse({"name": name})
        name = body.get("operationName", "")
        job = self.jobs.get(name.rsplit("/", 1)[-1])
        if job is None:
            return JSONResponse({"error": {"code": 404, "message": "operation not found"}}, 404)
        state = job.step()
        if state in ("queued", "running"):
            return JSONResponse({"name": name, "done": False})
        if state == "failure":
            return JSONResponse({"name": name, "done": True, "error": {"code": 3, "message": "video blocked"}})
        return JSONResponse({"name": name, "done": True, "response": {
            "@type": "type.googleapis.com/cloud.ai.large_models.vision.GenerateVideoResponse",
            "videos": [{"bytesBase64Encoded": base64.b64encode(RESULT_BYTES).decode(), "mimeType": "video/mp4"}]}})
