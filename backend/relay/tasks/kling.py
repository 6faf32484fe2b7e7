"""Kling (channel type 50): the upstream's API (`<base>/v1/videos/{text2video|image2video}`, a JWT
signed from the channel key `access_key|secret_key`), and its task shape for `/kling/v1/...`."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from typing import Any

import orjson

from backend.cache.channels import ChannelInfo
from backend.models import Task
from backend.models.task import FAILURE, IN_PROGRESS, QUEUED, SUCCESS
from backend.relay.tasks import poller
from backend.relay.tasks.common import FETCH_TIMEOUT_S, SUBMIT_TIMEOUT_S, UpstreamFailed, channel_of, send
from backend.relay.tasks.submit import upstream_refusal

CHANNEL_TYPE = 50
PLATFORM = str(CHANNEL_TYPE)  # new-api names a video task's platform by its channel type
KINDS = frozenset({"text2video", "image2video"})
DEFAULT_MODEL = "kling-v1"
_STATUS = {"submitted": QUEUED, "processing": IN_PROGRESS, "succeed": SUCCESS, "failed": FAILURE}
_BACK = {QUEUED: "submitted", IN_PROGRESS: "processing", SUCCESS: "succeed", FAILURE: "failed"}


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def token(key: str) -> str:
    """Kling's auth: an HS256 JWT (iss = access key, 30 minutes), signed with the secret key. A key
    without `|` is sent as is (a proxy that takes a plain bearer key)."""
    access, sep, secret = key.partition("|")
    if not sep:
        return key
    now = int(time.time())
    head = _b64(orjson.dumps({"alg": "HS256", "typ": "JWT"}))
    body = _b64(orjson.dumps({"iss": access, "exp": now + 1800, "nbf": now - 5}))
    signature = hmac.new(secret.encode(), f"{head}.{body}".encode(), hashlib.sha256).digest()
    return f"{head}.{body}.{_b64(signature)}"


def headers(key: str) -> dict[str, str]:
    return {"Content-Type": "application/json", "Authorization": f"Bearer {token(key)}"}


def from_unified(body: dict[str, Any], upstream_model: str) -> tuple[str, dict[str, Any]]:
    """A `/v1/video/generations` body -> (kind, Kling body)."""
    image = body.get("image") or body.get("input_reference")
    kling: dict[str, Any] = {"model_name": upstream_model, "prompt": body.get("prompt") or "",
                             "duration": str(body.get("duration") or body.get("seconds") or "5")}
    for name in ("negative_prompt", "cfg_scale", "mode", "aspect_ratio"):
        if name in body:
            kling[name] = body[name]
    if isinstance(body.get("metadata"), dict):
        kling.update(body["metadata"])
    if image:
        kling["image"] = image
    return ("image2video" if image else "text2video"), kling


async def submit(channel: ChannelInfo, key: str, kind: str, body: dict[str, Any]) -> tuple[str, Any]:
    reply = await send(channel, "POST", f"{channel.base_url}/v1/videos/{kind}", headers(key), orjson.dumps(body),
                       SUBMIT_TIMEOUT_S)
    answer = reply.json()
    data = answer.get("data") if isinstance(answer, dict) else None
    if reply.status != 200 or not isinstance(data, dict) or answer.get("code") not in (0, None):
        message = answer.get("message") if isinstance(answer, dict) else ""
        raise upstream_refusal(reply.status, message, channel.keys)
    return str(data.get("task_id") or ""), answer


async def poll(row: Task) -> poller.TaskUpdate:
    channel = channel_of(row.channel_id)
    if channel is None:
        raise UpstreamFailed(f"channel #{row.channel_id} is disabled")
    upstream_id = (row.private_data or {}).get("upstream_task_id", "")
    kind = row.action if row.action in KINDS else "text2video"
    reply = await send(channel, "GET", f"{channel.base_url}/v1/videos/{kind}/{upstream_id}",
                       headers(channel.keys[0] if channel.keys else ""), None, FETCH_TIMEOUT_S)
    answer = reply.json()
    data = answer.get("data") if isinstance(answer, dict) else None
    if reply.status != 200 or not isinstance(data, dict):
        raise UpstreamFailed(f"no state for task {row.task_id} (status {reply.status})")
    status = _STATUS.get(str(data.get("task_status")), IN_PROGRESS)
    videos = (data.get("task_result") or {}).get("videos") if isinstance(data.get("task_result"), dict) else None
    url = videos[0].get("url", "") if isinstance(videos, list) and videos and isinstance(videos[0], dict) else ""
    return poller.TaskUpdate(status=status, fail_reason=str(data.get("task_status_msg") or ""),
                             result_url=url if status == SUCCESS else "", data=answer)


def kling_dto(row: Task, video_url: str) -> dict[str, Any]:
    """A stored task in Kling's reply shape, under its public id."""
    data: dict[str, Any] = {"task_id": row.task_id, "task_status": _BACK.get(row.status, "submitted"),
                            "task_status_msg": row.fail_reason or "", "created_at": row.submit_time * 1000,
                            "updated_at": (row.updated_at or row.submit_time) * 1000}
    if row.status == SUCCESS:
        data["task_result"] = {"videos": [{"id": row.task_id, "url": video_url}]}
    return {"code": 0, "message": "SUCCEED", "request_id": row.task_id, "data": data}


poller.FETCHERS[PLATFORM] = poll
