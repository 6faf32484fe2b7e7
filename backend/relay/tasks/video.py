"""Video generation: OpenAI's `/v1/videos` (create, retrieve, `/content`, remix) as the `openai`
SDK's `client.videos` calls it, new-api's unified `/v1/video/generations`, Kling's own
`/kling/v1/videos/...` and Jimeng's `/jimeng/`.

A model served by a channel type of the provider table (`providers/`: Kling, Jimeng, Vidu, Doubao,
Veo on Gemini or Vertex) goes through that provider and the shared lifecycle (`lifecycle.py`); any
other channel (Sora 55, OpenAI...) gets OpenAI's videos API, billed by new-api's Sora rule:
`ModelPrice × 500000 × group ratio × seconds × size ratio` (1.666667 for 1792x1024 / 1024x1792;
seconds default 4). The caller only ever sees the public `task_…` id; `/content` streams the
upstream's bytes through.
"""

from __future__ import annotations

import asyncio
import base64
from typing import Any

import orjson
from fastapi import Request
from fastapi.responses import JSONResponse, Response

from backend.cache.channels import ChannelInfo
from backend.json_shape import object_at
from backend.models import Task
from backend.models.task import FAILURE, IN_PROGRESS, QUEUED, SUBMITTED, SUCCESS
from backend.relay.auth import Caller
from backend.relay.context import request_id_of
from backend.relay.convert.multipart import parse_form, rewrite_form_field
from backend.relay.errors import RelayError
from backend.relay.tasks import lifecycle, poller
from backend.relay.tasks.common import (
    FETCH_TIMEOUT_S,
    SUBMIT_TIMEOUT_S,
    UpstreamFailed,
    caller_of,
    channel_of,
    route_for,
    send,
)
from backend.relay.tasks.lifecycle import content_url
from backend.relay.tasks.providers import kling, provider_for, provider_of_platform
from backend.relay.tasks.providers.base import VideoRequest
from backend.relay.tasks.submit import (
    Submission,
    TaskRefused,
    from_relay_error,
    submit,
    task_dto,
    task_error,
    upstream_refusal,
)
from backend.relay.tasks.video_errors import openai_error
from backend.services import tasks

DEFAULT_MODEL = "sora-2"
WIDE_SIZES = frozenset({"1792x1024", "1024x1792"})
_OPENAI_STATUS = {SUBMITTED: "queued", QUEUED: "queued", IN_PROGRESS: "in_progress", SUCCESS: "completed",
                  FAILURE: "failed"}
_UPSTREAM_STATUS = {"queued": QUEUED, "pending": QUEUED, "submitted": QUEUED, "in_progress": IN_PROGRESS,
                    "processing": IN_PROGRESS, "running": IN_PROGRESS, "completed": SUCCESS, "succeeded": SUCCESS,
                    "success": SUCCESS, "failed": FAILURE, "failure": FAILURE, "error": FAILURE, "cancelled": FAILURE}


def sora_ratios(fields: dict[str, Any]) -> dict[str, float]:
    """new-api's sora EstimateBilling: seconds (default 4) and a size ratio."""
    try:
        seconds = int(str(fields.get("seconds") or fields.get("duration") or 0))
    except ValueError:
        seconds = 0
    seconds = seconds if 0 < seconds <= 600 else 4
    return {"seconds": float(seconds), "size": 1.666667 if str(fields.get("size") or "") in WIDE_SIZES else 1.0}


async def read_fields(request: Request) -> tuple[dict[str, Any], bytes, str]:
    """(fields, raw body, content type): a JSON object or a multipart form."""
    raw = await request.body()
    ctype = request.headers.get("content-type", "")
    if "multipart/form-data" in ctype:
        form = parse_form(raw, ctype)
        if form is None:
            raise TaskRefused("invalid_request", "the multipart body cannot be read")
        return dict(form.fields), raw, ctype
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise TaskRefused("invalid_request", "the body is not JSON") from exc
    if not isinstance(body, dict):
        raise TaskRefused("invalid_request", "the body must be a JSON object")
    return body, raw, "application/json"


def _bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


async def _openai_submit(caller: Caller, request: Request, fields: dict[str, Any], raw: bytes, ctype: str,
                         model: str) -> Task:
    route = await route_for(caller, model)
    channel, key = route.channel, route.key
    provider = provider_for(channel.type)
    if provider is not None:
        req = VideoRequest.parse({**fields, **_uploaded_images(raw, ctype, fields), "model": model},
                                 provider.default_model)
        return await lifecycle.submit_video(caller, provider, route, req, request_id_of(request.scope))
    if "multipart/form-data" in ctype:
        body_bytes = rewrite_form_field(raw, ctype, "model", route.upstream_model)
    else:
        body_bytes = orjson.dumps({**fields, "model": route.upstream_model})

    async def send_it() -> tuple[str, Any]:
        reply = await send(channel, "POST", f"{channel.base_url}/v1/videos", {**_bearer(key), "Content-Type": ctype},
                           body_bytes, SUBMIT_TIMEOUT_S)
        return _accepted(reply.status, reply.json(), channel.keys)

    sub = Submission(str(channel.type), "generate", model, channel, prompt=str(fields.get("prompt") or ""),
                     upstream_model=route.upstream_model, ratios=sora_ratios(fields))
    return await submit(caller, sub, send_it, request_id_of(request.scope))


def _uploaded_images(raw: bytes, ctype: str, fields: dict[str, Any]) -> dict[str, Any]:
    """The OpenAI SDK's `input_reference` file(s) as data: URIs, the images a provider takes (new-api
    reads them from the multipart form the same way)."""
    if "multipart/form-data" not in ctype or fields.get("images"):
        return {}
    form = parse_form(raw, ctype)
    files = [f for f in (form.files if form else []) if f.name == "input_reference" and f.data]
    if not files:
        return {}
    return {"images": [f"data:{f.content_type};base64,{base64.b64encode(f.data).decode()}" for f in files]}


def _accepted(status: int, answer: Any, secrets: tuple[str, ...]) -> tuple[str, Any]:
    if status != 200 or not isinstance(answer, dict):
        error = answer.get("error") if isinstance(answer, dict) else None
        raise upstream_refusal(status, error.get("message") if isinstance(error, dict) else "", secrets)
    return str(answer.get("id") or answer.get("task_id") or ""), answer


def openai_video(row: Task) -> dict[str, Any]:
    """The stored task as OpenAI's video object (new-api sora ConvertToOpenAIVideo)."""
    provider = provider_of_platform(row.platform)
    data = dict(row.data) if isinstance(row.data, dict) and provider is None else {}
    progress = (row.progress or "0%").removesuffix("%")
    data.update(id=row.task_id, object="video", status=_OPENAI_STATUS.get(row.status, "queued"),
                progress=int(progress) if progress.isdigit() else 0,
                model=(row.properties or {}).get("origin_model_name", data.get("model", "")),
                created_at=data.get("created_at") or row.submit_time)
    data.pop("task_id", None)
    if row.status == SUCCESS:
        data["completed_at"] = row.finish_time
        if provider is not None:  # new-api's SetMetadata("url", …)
            data["metadata"] = {"url": (row.private_data or {}).get("result_url") or content_url(row.task_id)}
    if row.status == FAILURE:
        data["error"] = {"message": row.fail_reason or "task failed", "code": "task_failed"}
    return data


# -- routes -----------------------------------------------------------------------------------------


async def create(request: Request) -> Response:
    """`POST /v1/videos` and `POST /v1/video/generations`."""
    try:
        caller = await caller_of(request)
        fields, raw, ctype = await read_fields(request)
        if not str(fields.get("prompt") or "").strip():
            raise TaskRefused("invalid_request", "field prompt is required")
        model = str(fields.get("model") or DEFAULT_MODEL)
        row = await _openai_submit(caller, request, fields, raw, ctype, model)
    except RelayError as exc:
        return openai_error(from_relay_error(exc))
    except TaskRefused as exc:
        return openai_error(exc)
    video = openai_video(row)
    if request.url.path.startswith("/v1/video/generations"):
        video["task_id"] = row.task_id
    return JSONResponse(video)


async def _own(request: Request, task_id: str) -> tuple[Caller, Task]:
    caller = await caller_of(request)
    row = await asyncio.to_thread(tasks.get_task, caller.user.id, task_id)
    if row is None or row.platform == "suno":
        raise TaskRefused("task_not_exist", "task_not_exist", 404)
    return caller, row


async def retrieve(request: Request, task_id: str) -> Response:
    """`GET /v1/videos/{id}` (OpenAI's object) and `GET /v1/video/generations/{id}` (new-api's TaskDto)."""
    try:
        _caller, row = await _own(request, task_id)
    except RelayError as exc:
        return openai_error(from_relay_error(exc))
    except TaskRefused as exc:
        return openai_error(exc)
    if request.url.path.startswith("/v1/video/generations"):
        return JSONResponse({"code": "success", "message": "", "data": task_dto(row)})
    return JSONResponse(openai_video(row))


async def remix(request: Request, video_id: str) -> Response:
    """`POST /v1/videos/{id}/remix`: on the original's channel, billed with its seconds and size."""
    try:
        caller, origin = await _own(request, video_id)
        fields, _raw, _ctype = await read_fields(request)
        prompt = str(fields.get("prompt") or "")
        if not prompt.strip():
            raise TaskRefused("invalid_request", "field prompt is required")
        channel = channel_of(origin.channel_id)
        if channel is None or provider_of_platform(origin.platform) is not None:
            raise TaskRefused("task_channel_disable", "this video cannot be remixed", 400)
        context = (origin.private_data or {}).get("billing_context") or {}
        ratios = {k: float(v) for k, v in (context.get("other_ratios") or {}).items()}
        model = str((origin.properties or {}).get("origin_model_name") or DEFAULT_MODEL)
        key = channel.keys[0] if channel.keys else ""
        upstream_id = (origin.private_data or {}).get("upstream_task_id", "")

        async def send_it() -> tuple[str, Any]:
            reply = await send(channel, "POST", f"{channel.base_url}/v1/videos/{upstream_id}/remix",
                               {**_bearer(key), "Content-Type": "application/json"},
                               orjson.dumps({"prompt": prompt}), SUBMIT_TIMEOUT_S)
            return _accepted(reply.status, reply.json(), channel.keys)

        sub = Submission(origin.platform, "remix", model, channel, prompt=prompt, ratios=ratios)
        row = await submit(caller, sub, send_it, request_id_of(request.scope))
    except RelayError as exc:
        return openai_error(from_relay_error(exc))
    except TaskRefused as exc:
        return openai_error(exc)
    video = openai_video(row)
    video["remixed_from_video_id"] = origin.task_id
    return JSONResponse(video)


async def kling_submit(request: Request, kind: str) -> Response:
    """`POST /kling/v1/videos/{text2video|image2video}`: Kling's own body, billed as `model_name`."""
    try:
        caller = await caller_of(request)
        if kind not in kling.KINDS:
            raise TaskRefused("invalid_request", "unknown video kind", 404)
        fields, _raw, _ctype = await read_fields(request)
        model = str(fields.get("model_name") or fields.get("model") or kling.DEFAULT_MODEL)
        route = await route_for(caller, model)
        if route.channel.type != kling.CHANNEL_TYPE:
            raise TaskRefused("invalid_api_platform", f"model {model} is not served by a Kling channel")
        body = {**fields, "model_name": route.upstream_model}
        sub = Submission(kling.PLATFORM, kind, model, route.channel, prompt=str(fields.get("prompt") or ""),
                         upstream_model=route.upstream_model)
        row = await submit(caller, sub, lambda: _kling_send(route.channel, route.key, kind, body),
                           request_id_of(request.scope))
    except RelayError as exc:
        return task_error(from_relay_error(exc))
    except TaskRefused as exc:
        return task_error(exc)
    return JSONResponse(kling.kling_dto(row, ""))


async def _kling_send(channel: ChannelInfo, key: str, kind: str, body: dict[str, Any]) -> tuple[str, Any]:
    out = kling.native_request(channel, key, kind, body)
    reply = await send(channel, out.method, out.url, out.headers, out.body, SUBMIT_TIMEOUT_S)
    return provider_for(kling.CHANNEL_TYPE).accepted(reply, channel.keys)  # type: ignore[union-attr]


async def kling_fetch(request: Request, kind: str, task_id: str) -> Response:
    try:
        _caller, row = await _own(request, task_id)
        if row.platform != kling.PLATFORM:
            raise TaskRefused("task_not_exist", "task_not_exist", 404)
    except RelayError as exc:
        return task_error(from_relay_error(exc))
    except TaskRefused as exc:
        return task_error(exc)
    return JSONResponse(kling.kling_dto(row, content_url(row.task_id)))


# -- polling OpenAI-style upstreams -----------------------------------------------------------------


async def poll(row: Task) -> poller.TaskUpdate:
    channel = channel_of(row.channel_id)
    if channel is None:
        raise UpstreamFailed(f"channel #{row.channel_id} is disabled")
    upstream_id = (row.private_data or {}).get("upstream_task_id", "")
    reply = await send(channel, "GET", f"{channel.base_url}/v1/videos/{upstream_id}",
                       _bearer(channel.keys[0] if channel.keys else ""), None, FETCH_TIMEOUT_S)
    answer = reply.json()
    if reply.status != 200 or not isinstance(answer, dict):
        raise UpstreamFailed(f"no state for task {row.task_id} (status {reply.status})")
    status = _UPSTREAM_STATUS.get(str(answer.get("status") or "").lower(), QUEUED)
    progress = answer.get("progress")
    error = object_at(answer, "error")
    return poller.TaskUpdate(
        status=status, progress=f"{progress}%" if isinstance(progress, int) and 0 < progress < 100 else "",
        fail_reason=str(error.get("message") or ""), data=answer,
        result_url=content_url(row.task_id) if status == SUCCESS else "",
    )


poller.VIDEO_FETCHER = poll  # every channel type without a fetcher of its own speaks OpenAI's videos API
