"""Vidu (channel type 52): `<base>/ent/v2/{text2video|img2video|start-end2video|reference2video}`
with `Authorization: Token <key>`, polled at `<base>/ent/v2/tasks/{id}/creations`. The path follows
the images sent (none, one, two: first and last frame, more: references), as new-api picks it.
Billed per call (new-api adds no ratio for Vidu).
"""

from __future__ import annotations

from typing import Any

import orjson

from backend.cache.channels import ChannelInfo
from backend.models import Task
from backend.models.task import FAILURE, IN_PROGRESS, QUEUED, SUCCESS
from backend.relay.tasks.common import Reply, UpstreamFailed
from backend.relay.tasks.poller import TaskUpdate
from backend.relay.tasks.providers.base import (
    FIRST_TAIL_GENERATE,
    GENERATE,
    REFERENCE_GENERATE,
    Outbound,
    Provider,
    VideoRequest,
    base_of,
    json_object,
    refused,
    upstream_id_of,
)

CHANNEL_TYPE = 52
DEFAULT_MODEL = "viduq1"
_PATHS = {GENERATE: "img2video", FIRST_TAIL_GENERATE: "start-end2video", REFERENCE_GENERATE: "reference2video"}
_STATUS = {"created": QUEUED, "queueing": QUEUED, "processing": IN_PROGRESS, "success": SUCCESS, "failed": FAILURE}


def action_for(req: VideoRequest) -> str:
    chosen = req.metadata.get("action")
    if isinstance(chosen, str) and chosen:
        return chosen
    return {0: "textGenerate", 1: GENERATE, 2: FIRST_TAIL_GENERATE}.get(len(req.images), REFERENCE_GENERATE)


def submit_body(req: VideoRequest, upstream_model: str, action: str) -> dict[str, Any]:
    """new-api's requestPayload: 5 s and 1080p unless asked, metadata overriding any field."""
    body: dict[str, Any] = {"model": upstream_model or DEFAULT_MODEL, "images": list(req.images),
                            "prompt": req.prompt, "duration": req.duration or 5, "resolution": req.size or "1080p",
                            "movement_amplitude": "auto"}
    body.update({k: v for k, v in req.metadata.items() if k != "action"})
    body["model"] = upstream_model or DEFAULT_MODEL
    if action == REFERENCE_GENERATE and "viduq2" in body["model"]:
        body["model"] = "viduq2"  # references take the plain q2 model only
    return body


def _headers(key: str) -> dict[str, str]:
    return {"Content-Type": "application/json", "Accept": "application/json", "Authorization": f"Token {key}"}


class Vidu(Provider):
    name = "Vidu"
    default_model = DEFAULT_MODEL

    def action(self, req: VideoRequest) -> str:
        return action_for(req)

    def submit_request(self, channel: ChannelInfo, key: str, req: VideoRequest, upstream_model: str,
                       token: str = "") -> Outbound:
        action = action_for(req)
        path = _PATHS.get(action, "text2video")
        return Outbound("POST", f"{base_of(channel)}/ent/v2/{path}", _headers(key),
                        orjson.dumps(submit_body(req, upstream_model, action)))

    def accepted(self, reply: Reply, secrets: tuple[str, ...]) -> tuple[str, Any]:
        answer = json_object(reply)
        if reply.status != 200 or not answer or answer.get("state") == "failed":
            raise refused(reply, answer.get("message") or answer.get("err_code") or "task failed", secrets)
        return str(answer.get("task_id") or ""), answer

    def fetch_request(self, channel: ChannelInfo, key: str, row: Task, token: str = "") -> Outbound:
        return Outbound("GET", f"{base_of(channel)}/ent/v2/tasks/{upstream_id_of(row)}/creations",
                        {"Accept": "application/json", "Authorization": f"Token {key}"})

    def state(self, reply: Reply) -> TaskUpdate:
        answer = json_object(reply)
        status = _STATUS.get(str(answer.get("state") or ""))
        if reply.status != 200 or status is None:
            raise UpstreamFailed(f"no task state (status {reply.status})")
        creations = answer.get("creations")
        first = creations[0] if isinstance(creations, list) and creations and isinstance(creations[0], dict) else {}
        return TaskUpdate(status=status, data=answer, fail_reason=str(answer.get("err_code") or ""),
                          result_url=str(first.get("url") or "") if status == SUCCESS else "")
