"""Kling (channel type 50): `<base>/v1/videos/{text2video|image2video}`, a JWT signed from the
channel key `access_key|secret_key`, and its task shape for `/kling/v1/...`.

Billing is new-api's for Kling: the adaptor embeds BaseBilling, whose EstimateBilling adds no ratio,
so a Kling task costs ModelPrice × group ratio per call whatever its duration.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from typing import Any

import orjson

from backend.cache.channels import ChannelInfo
from backend.json_shape import object_at
from backend.models import Task
from backend.models.task import FAILURE, IN_PROGRESS, QUEUED, SUCCESS
from backend.relay.tasks.common import Reply, UpstreamFailed
from backend.relay.tasks.poller import TaskUpdate
from backend.relay.tasks.providers.base import (
    Outbound,
    Provider,
    VideoRequest,
    bare_base64,
    base_of,
    json_object,
    upstream_id_of,
)
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
    without `|` is sent as is (an `api-key-kling-…` key, or a proxy that takes a plain bearer key)."""
    access, sep, secret = key.partition("|")
    if not sep:
        return key
    now = int(time.time())
    head = _b64(orjson.dumps({"alg": "HS256", "typ": "JWT"}))
    body = _b64(orjson.dumps({"iss": access.strip(), "exp": now + 1800, "nbf": now - 5}))
    signature = hmac.new(secret.strip().encode(), f"{head}.{body}".encode(), hashlib.sha256).digest()
    return f"{head}.{body}.{_b64(signature)}"


def headers(key: str) -> dict[str, str]:
    return {"Content-Type": "application/json", "Accept": "application/json", "Authorization": f"Bearer {token(key)}",
            "User-Agent": "kling-sdk/1.0"}


def from_unified(req: VideoRequest, upstream_model: str) -> tuple[str, dict[str, Any]]:
    """A `/v1/video/generations` body -> (kind, Kling body)."""
    kling: dict[str, Any] = {"model_name": upstream_model, "prompt": req.prompt,
                             "duration": str(req.duration or req.seconds or "5")}
    for name in ("negative_prompt", "cfg_scale", "mode", "aspect_ratio"):
        if name in req.fields:
            kling[name] = req.fields[name]
    kling.update(req.metadata)
    kling["model_name"] = upstream_model  # metadata cannot rename the billed model
    if req.images:
        kling["image"] = bare_base64(req.images[0])
    return ("image2video" if req.images else "text2video"), kling


def native_request(channel: ChannelInfo, key: str, kind: str, body: dict[str, Any]) -> Outbound:
    return Outbound("POST", f"{base_of(channel)}/v1/videos/{kind}", headers(key), orjson.dumps(body))


def kling_dto(row: Task, video_url: str) -> dict[str, Any]:
    """A stored task in Kling's reply shape, under its public id."""
    data: dict[str, Any] = {"task_id": row.task_id, "task_status": _BACK.get(row.status, "submitted"),
                            "task_status_msg": row.fail_reason or "", "created_at": row.submit_time * 1000,
                            "updated_at": (row.updated_at or row.submit_time) * 1000}
    if row.status == SUCCESS:
        data["task_result"] = {"videos": [{"id": row.task_id, "url": video_url}]}
    return {"code": 0, "message": "SUCCEED", "request_id": row.task_id, "data": data}


class Kling(Provider):
    name = "Kling"
    default_model = DEFAULT_MODEL

    def action(self, req: VideoRequest) -> str:
        return "image2video" if req.images else "text2video"

    def submit_request(self, channel: ChannelInfo, key: str, req: VideoRequest, upstream_model: str,
                       token: str = "") -> Outbound:
        kind, body = from_unified(req, upstream_model)
        return native_request(channel, key, kind, body)

    def accepted(self, reply: Reply, secrets: tuple[str, ...]) -> tuple[str, Any]:
        answer = json_object(reply)
        data = answer.get("data")
        if reply.status != 200 or not isinstance(data, dict) or answer.get("code") not in (0, None):
            raise upstream_refusal(reply.status if reply.status != 200 else 400, answer.get("message"), secrets)
        return str(data.get("task_id") or ""), answer

    def fetch_request(self, channel: ChannelInfo, key: str, row: Task, token: str = "") -> Outbound:
        kind = row.action if row.action in KINDS else "text2video"
        return Outbound("GET", f"{base_of(channel)}/v1/videos/{kind}/{upstream_id_of(row)}", headers(key))

    def state(self, reply: Reply) -> TaskUpdate:
        answer = json_object(reply)
        data = answer.get("data")
        if reply.status != 200 or not isinstance(data, dict):
            raise UpstreamFailed(f"no task state (status {reply.status})")
        status = _STATUS.get(str(data.get("task_status")), IN_PROGRESS)
        result = object_at(data, "task_result")
        videos = result.get("videos")
        url = videos[0].get("url", "") if isinstance(videos, list) and videos and isinstance(videos[0], dict) else ""
        return TaskUpdate(status=status, fail_reason=str(data.get("task_status_msg") or ""),
                          result_url=str(url) if status == SUCCESS else "", data=answer)
