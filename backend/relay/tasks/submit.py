"""The submit walk shared by Suno and video tasks (new-api relay/relay_task.go RelayTaskSubmit):
price with the request's own ratios, reserve, send, keep the charge and store the task only when
the upstream accepted it, and hand the caller a public id that is not the upstream's.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from fastapi.responses import JSONResponse

from backend.cache.channels import ChannelInfo
from backend.models import Task
from backend.models.task import SUBMITTED
from backend.relay.auth import Caller
from backend.relay.errors import RelayError
from backend.relay.redact import clip, redact
from backend.relay.tasks import charge as task_charge
from backend.relay.tasks.common import UpstreamFailed
from backend.services import tasks
from backend.services.errors import ServiceError


class TaskRefused(Exception):
    """A refusal with new-api's TaskError fields; `status` is the HTTP status."""

    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.code, self.message, self.status = code, message, status


def task_error(exc: TaskRefused) -> JSONResponse:
    return JSONResponse({"code": exc.code, "message": exc.message, "data": None}, status_code=exc.status)


def upstream_refusal(status: int, message: object, secrets: tuple[str, ...]) -> TaskRefused:
    """The upstream said no: its message for the caller (no keys, no addresses), its 4xx status, or
    502 when the fault is the channel's (5xx, or 401/403: the channel's key, not the caller's)."""
    if status in (401, 403):
        return TaskRefused("channel_auth_failed", "the upstream refused this channel's credentials", 502)
    text = redact(clip(message), secrets) if message else "the upstream refused the task"
    return TaskRefused("fail_to_fetch_task", text, status if 400 <= status < 500 else 502)


def from_relay_error(exc: RelayError) -> TaskRefused:
    return TaskRefused(exc.code or "request_refused", exc.message, exc.status)


@dataclass
class Submission:
    platform: str
    action: str
    model: str
    channel: ChannelInfo
    prompt: str = ""
    upstream_model: str = ""
    ratios: dict[str, float] = field(default_factory=dict)
    private: dict[str, Any] = field(default_factory=dict)  # what polls need besides the upstream's id


# send(channel) -> (upstream task id, the upstream's reply as stored in `data`); raises TaskRefused
# when the upstream refused, UpstreamFailed when it could not be reached
Sender = Callable[[], Awaitable[tuple[str, Any]]]


async def submit(caller: Caller, sub: Submission, send: Sender, request_id: str = "") -> Task:
    try:
        charge = await task_charge.reserve(caller, sub.model, sub.channel.id, request_id=request_id,
                                           ratios=sub.ratios or None)
    except ServiceError as exc:
        code = "insufficient_user_quota" if exc.status == 403 else "model_price_error"
        raise TaskRefused(code, exc.message, 403 if exc.status == 403 else 400) from exc
    try:
        upstream_id, data = await send()
    except TaskRefused:
        await task_charge.decline(charge)
        raise
    except UpstreamFailed as exc:
        await task_charge.decline(charge)
        raise TaskRefused("do_request_failed", "the upstream could not be reached", 502) from exc
    except BaseException:
        await task_charge.decline(charge)
        raise
    if not upstream_id:
        await task_charge.decline(charge)
        raise TaskRefused("fail_to_fetch_task", "the upstream returned no task id", 502)
    public_id = tasks.new_public_id()
    quota = await task_charge.accept(charge, f"操作 {sub.action}，ID {public_id}")
    pricing = charge.pricing
    row = Task(
        task_id=public_id, platform=sub.platform, user_id=caller.user.id, group=caller.group,
        channel_id=sub.channel.id, quota=quota, action=sub.action, status=SUBMITTED, progress="0%",
        submit_time=int(time.time()),
        properties={"input": sub.prompt, "origin_model_name": sub.model,
                    "upstream_model_name": sub.upstream_model or sub.model},
        private_data={**sub.private, "upstream_task_id": upstream_id, "token_id": caller.token.id if caller.token else 0,
                      "billing_context": {"model_price": pricing.model_price or 0, "group_ratio": pricing.group_ratio,
                                          "other_ratios": sub.ratios, "origin_model_name": sub.model,
                                          "per_call_billing": True}},
        data=data,
    )
    return await asyncio.to_thread(tasks.insert_task, row)


def task_dto(row: Task) -> dict[str, Any]:
    """new-api's TaskDto: what a caller sees of a stored task (never `private_data`)."""
    return {
        "task_id": row.task_id, "action": row.action, "status": row.status, "fail_reason": row.fail_reason or "",
        "result_url": (row.private_data or {}).get("result_url", ""), "submit_time": row.submit_time,
        "start_time": row.start_time, "finish_time": row.finish_time, "progress": row.progress, "data": row.data,
    }
