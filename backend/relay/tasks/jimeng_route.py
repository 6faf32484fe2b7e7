"""`POST /jimeng/?Action=…` (new-api's JimengRequestConvert): Volcengine's own request shape in
front of the gateway. `CVSync2AsyncGetResult` with a `task_id` reads the caller's task (new-api's
TaskDto envelope); any other action submits: `req_key` names the model and the whole body rides
along as metadata, exactly as `/v1/video/generations` would take it. Errors in OpenAI's shape."""

from __future__ import annotations

import asyncio

from fastapi import Request
from fastapi.responses import JSONResponse, Response

from backend.relay.context import request_id_of
from backend.relay.errors import RelayError
from backend.relay.tasks import lifecycle
from backend.relay.tasks.common import caller_of, route_for
from backend.relay.tasks.providers import jimeng, provider_for
from backend.relay.tasks.providers.base import VideoRequest
from backend.relay.tasks.submit import TaskRefused, from_relay_error, task_dto
from backend.relay.tasks.video import openai_video, read_fields
from backend.relay.tasks.video_errors import openai_error
from backend.services import tasks


async def jimeng_official(request: Request) -> Response:
    try:
        action = request.query_params.get("Action", "")
        if not action:
            raise TaskRefused("invalid_request", "Action query parameter is required")
        caller = await caller_of(request)
        body, _raw, _ctype = await read_fields(request)
        if action == jimeng.GET_RESULT:
            task_id = body.get("task_id")
            if not isinstance(task_id, str) or not task_id:
                raise TaskRefused("invalid_request", "task_id is required for CVSync2AsyncGetResult")
            row = await asyncio.to_thread(tasks.get_task, caller.user.id, task_id)
            if row is None or row.platform == "suno":
                raise TaskRefused("task_not_exist", "task_not_exist", 404)
            return JSONResponse({"code": "success", "message": "", "data": task_dto(row)})
        given = body.get("req_key")
        model = given if isinstance(given, str) and given else jimeng.DEFAULT_REQ_KEY
        route = await route_for(caller, model)
        provider = provider_for(route.channel.type)
        if provider is None:
            raise TaskRefused("invalid_api_platform", f"model {model} is not served by a video provider channel")
        req = VideoRequest.parse({"model": model, "prompt": body.get("prompt"), "metadata": body}, model)
        row = await lifecycle.submit_video(caller, provider, route, req, request_id_of(request.scope))
    except RelayError as exc:
        return openai_error(from_relay_error(exc))
    except TaskRefused as exc:
        return openai_error(exc)
    return JSONResponse({**openai_video(row), "task_id": row.task_id})
