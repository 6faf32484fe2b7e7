"""Suno (channel type 36) through a Suno-API upstream, new-api's rules (relay/channel/task/suno).

`POST /suno/submit/{music|lyrics}` is billed as `suno_<action>` and reaches
`<base>/suno/submit/<ACTION>` with the channel's key as Bearer; the caller gets
`{code: "success", data: <public task id>}`. `/suno/fetch` (ids) and `/suno/fetch/{id}` read the
caller's own stored tasks; the poller asks `<base>/suno/fetch` for their state.
"""

from __future__ import annotations

import asyncio
from typing import Any

import orjson
from fastapi import Request
from fastapi.responses import JSONResponse, Response

from backend.json_shape import list_at
from backend.models import Task
from backend.models.task import FAILURE, IN_PROGRESS, QUEUED, SUBMITTED, SUCCESS
from backend.relay.context import request_id_of
from backend.relay.errors import RelayError
from backend.relay.tasks import poller
from backend.relay.tasks.common import (
    FETCH_TIMEOUT_S,
    SUBMIT_TIMEOUT_S,
    UpstreamFailed,
    caller_of,
    channel_of,
    route_for,
    send,
)
from backend.relay.tasks.submit import (
    Submission,
    TaskRefused,
    from_relay_error,
    submit,
    task_dto,
    task_error,
    upstream_refusal,
)
from backend.services import tasks

PLATFORM = "suno"
ACTIONS = frozenset({"MUSIC", "LYRICS"})
STATUSES = frozenset({SUBMITTED, QUEUED, IN_PROGRESS, SUCCESS, FAILURE})


def _headers(key: str) -> dict[str, str]:
    return {"Content-Type": "application/json", "Accept": "application/json", "Authorization": f"Bearer {key}"}


async def _json_object(request: Request) -> dict[str, Any]:
    try:
        body = orjson.loads(await request.body())
    except orjson.JSONDecodeError as exc:
        raise TaskRefused("invalid_request", "the body is not JSON") from exc
    if not isinstance(body, dict):
        raise TaskRefused("invalid_request", "the body must be a JSON object")
    return body


async def submit_route(request: Request, action: str) -> Response:
    try:
        caller = await caller_of(request)
        action = action.upper()
        if action not in ACTIONS:
            raise TaskRefused("invalid_request", "invalid_action")
        body = await _json_object(request)
        if action == "MUSIC" and not body.get("mv"):
            body["mv"] = "chirp-v3-0"
        if action == "LYRICS" and not body.get("prompt"):
            raise TaskRefused("invalid_request", "prompt_empty")
        model = "suno_" + action.lower()
        route = await route_for(caller, model)
        channel, key = route.channel, route.key

        async def send_it() -> tuple[str, Any]:
            reply = await send(channel, "POST", f"{channel.base_url}/suno/submit/{action}", _headers(key),
                               orjson.dumps(body), SUBMIT_TIMEOUT_S)
            answer = reply.json()
            if reply.status != 200 or not isinstance(answer, dict) or answer.get("code") != "success":
                message = answer.get("message") if isinstance(answer, dict) else ""
                raise upstream_refusal(reply.status, message, channel.keys)
            data = answer.get("data")
            return (data if isinstance(data, str) else ""), answer

        prompt = body.get("gpt_description_prompt") or body.get("prompt") or ""
        row = await submit(caller, Submission(PLATFORM, action, model, channel, prompt=str(prompt)), send_it,
                           request_id_of(request.scope))
    except RelayError as exc:
        return task_error(from_relay_error(exc))
    except TaskRefused as exc:
        return task_error(exc)
    return JSONResponse({"code": "success", "message": "", "data": row.task_id})


async def fetch_route(request: Request) -> Response:
    try:
        caller = await caller_of(request)
        body = await _json_object(request)
    except RelayError as exc:
        return task_error(from_relay_error(exc))
    except TaskRefused as exc:
        return task_error(exc)
    ids = list_at(body, "ids")
    rows = await asyncio.to_thread(tasks.get_tasks, caller.user.id, ids)
    return JSONResponse({"code": "success", "message": "", "data": [task_dto(r) for r in rows]})


async def fetch_one_route(request: Request, task_id: str) -> Response:
    try:
        caller = await caller_of(request)
    except RelayError as exc:
        return task_error(from_relay_error(exc))
    row = await asyncio.to_thread(tasks.get_task, caller.user.id, task_id)
    if row is None or row.platform != PLATFORM:
        return task_error(TaskRefused("task_not_exist", "task_not_exist"))
    return JSONResponse({"code": "success", "message": "", "data": task_dto(row)})


async def poll(row: Task) -> poller.TaskUpdate:
    """The task's state from `<base>/suno/fetch`."""
    channel = channel_of(row.channel_id)
    if channel is None:
        raise UpstreamFailed(f"channel #{row.channel_id} is disabled")
    upstream_id = (row.private_data or {}).get("upstream_task_id", "")
    reply = await send(channel, "POST", f"{channel.base_url}/suno/fetch",
                       _headers(channel.keys[0] if channel.keys else ""),
                       orjson.dumps({"ids": [upstream_id], "action": row.action}), FETCH_TIMEOUT_S)
    answer = reply.json()
    items = answer.get("data") if isinstance(answer, dict) else None
    item = next((i for i in items or [] if isinstance(i, dict) and i.get("task_id") == upstream_id), None)
    if reply.status != 200 or item is None:
        raise UpstreamFailed(f"no state for task {row.task_id} (status {reply.status})")
    given = item.get("status")
    status = given if isinstance(given, str) and given in STATUSES else IN_PROGRESS
    return poller.TaskUpdate(status=status, progress=str(item.get("progress") or ""),
                             fail_reason=str(item.get("fail_reason") or ""), data=item.get("data"))


poller.FETCHERS[PLATFORM] = poll
