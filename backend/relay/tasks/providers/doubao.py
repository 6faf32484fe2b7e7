"""Doubao video (Volcengine Ark content generation; channel type 54 DoubaoVideo, and 45 VolcEngine,
which new-api also routes video to): `POST <base>/api/v3/contents/generations/tasks` with a Bearer
key, polled at `…/tasks/{id}`. The prompt is the last `text` item of `content`, images come first.

Billing (new-api doubao ResolveBillingRatios): Seedance 2.0 models carry a resolution ratio
(1080p) and a video-input ratio (a reference video in `content`), relative to the model's
480p/720p text price; a combination the provider does not sell is refused before any charge.
"""

from __future__ import annotations

from typing import Any

import orjson

from backend.cache.channels import ChannelInfo
from backend.json_shape import list_at, object_at
from backend.models import Task
from backend.models.task import FAILURE, IN_PROGRESS, QUEUED, SUCCESS
from backend.relay.tasks.common import Reply, UpstreamFailed
from backend.relay.tasks.poller import TaskUpdate
from backend.relay.tasks.providers.base import (
    Outbound,
    Provider,
    VideoRequest,
    base_of,
    json_object,
    refused,
    upstream_id_of,
)
from backend.relay.tasks.submit import TaskRefused

CHANNEL_TYPES = (54, 45)
DEFAULT_MODEL = "doubao-seedance-1-0-pro-250528"
_STATUS = {"pending": QUEUED, "queued": QUEUED, "processing": IN_PROGRESS, "running": IN_PROGRESS,
           "succeeded": SUCCESS, "failed": FAILURE}
_PROGRESS = {QUEUED: "10%", IN_PROGRESS: "50%"}
# (model, resolution, with video input) -> price relative to the model's 480p/720p text price
_TIERS: dict[tuple[str, str, bool], float] = {}
for _res in ("480p", "720p"):
    _TIERS[("doubao-seedance-2-0-260128", _res, False)] = 1.0
    _TIERS[("doubao-seedance-2-0-260128", _res, True)] = 28 / 46
    _TIERS[("doubao-seedance-2-0-fast-260128", _res, False)] = 1.0
    _TIERS[("doubao-seedance-2-0-fast-260128", _res, True)] = 22 / 37
_TIERS[("doubao-seedance-2-0-260128", "1080p", False)] = 51 / 46
_TIERS[("doubao-seedance-2-0-260128", "1080p", True)] = 31 / 46
_PRICED = frozenset(model for model, _r, _v in _TIERS)


def has_video_input(metadata: dict[str, Any]) -> bool:
    content = metadata.get("content")
    return isinstance(content, list) and any(
        isinstance(item, dict) and (item.get("type") == "video_url" or "video_url" in item) for item in content)


def billing_ratios(model: str, resolution: str, video_input: bool) -> dict[str, float]:
    """`resolution` × `video_input` equals the tier's price ratio; a model without tiers has none."""
    if model not in _PRICED:
        return {}
    res = resolution.strip().lower()
    res = res if res in ("480p", "1080p") else "720p"  # the upstream's default output
    total = _TIERS.get((model, res, video_input))
    base = _TIERS.get((model, res, False))
    if total is None or base is None:
        raise TaskRefused("invalid_request", f"{model} does not offer {res} output")
    ratios = {"resolution": base} if base != 1.0 else {}
    if video_input and total / base != 1.0:
        ratios["video_input"] = total / base
    return ratios


def submit_body(req: VideoRequest, upstream_model: str) -> dict[str, Any]:
    content: list[Any] = [{"type": "image_url", "image_url": {"url": url}} for url in req.images]
    body: dict[str, Any] = {"model": upstream_model, "content": content, **req.metadata}
    body["model"] = upstream_model
    seconds = req.duration or (int(req.seconds) if req.seconds else 0)
    if seconds > 0:
        body["duration"] = seconds
    items = list_at(body, "content")
    body["content"] = [i for i in items if not (isinstance(i, dict) and i.get("type") == "text")]
    body["content"].append({"type": "text", "text": req.prompt})
    return body


class Doubao(Provider):
    name = "Doubao"
    default_model = DEFAULT_MODEL

    def ratios(self, req: VideoRequest, upstream_model: str) -> dict[str, float]:
        resolution = req.metadata.get("resolution")
        return billing_ratios(req.model, resolution if isinstance(resolution, str) else "",
                              has_video_input(req.metadata))

    def submit_request(self, channel: ChannelInfo, key: str, req: VideoRequest, upstream_model: str,
                       token: str = "") -> Outbound:
        return Outbound("POST", f"{base_of(channel)}/api/v3/contents/generations/tasks",
                        {"Content-Type": "application/json", "Accept": "application/json",
                         "Authorization": f"Bearer {key}"}, orjson.dumps(submit_body(req, upstream_model)))

    def accepted(self, reply: Reply, secrets: tuple[str, ...]) -> tuple[str, Any]:
        answer = json_object(reply)
        if reply.status != 200 or not answer.get("id"):
            error = object_at(answer, "error")
            raise refused(reply, error.get("message") or "the upstream returned no task id", secrets)
        return str(answer["id"]), answer

    def fetch_request(self, channel: ChannelInfo, key: str, row: Task, token: str = "") -> Outbound:
        return Outbound("GET", f"{base_of(channel)}/api/v3/contents/generations/tasks/{upstream_id_of(row)}",
                        {"Accept": "application/json", "Authorization": f"Bearer {key}"})

    def state(self, reply: Reply) -> TaskUpdate:
        answer = json_object(reply)
        if reply.status != 200 or not answer.get("status"):
            raise UpstreamFailed(f"no task state (status {reply.status})")
        status = _STATUS.get(str(answer["status"]), IN_PROGRESS)
        content = object_at(answer, "content")
        error = object_at(answer, "error")
        return TaskUpdate(status=status, progress=_PROGRESS.get(status, ""), data=answer,
                          fail_reason=str(error.get("message") or ""),
                          result_url=str(content.get("video_url") or "") if status == SUCCESS else "")
