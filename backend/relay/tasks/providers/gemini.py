"""Veo on the Gemini API (channel type 24): `POST <base>/v1beta/models/{model}:predictLongRunning`
with `x-goog-api-key`, polled at `GET <base>/v1beta/{operation name}`. The finished video is a
download URI that needs the key too, so the caller gets the gateway's `/v1/videos/{id}/content`
and the key never leaves it (the URI is only followed on the channel's own host).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import orjson

from backend.cache.channels import ChannelInfo
from backend.json_shape import object_at
from backend.models import Task
from backend.models.task import FAILURE, IN_PROGRESS, SUCCESS
from backend.relay.tasks.common import Reply, UpstreamFailed
from backend.relay.tasks.poller import TaskUpdate
from backend.relay.tasks.providers import veo
from backend.relay.tasks.providers.base import (
    Content,
    Outbound,
    Provider,
    VideoRequest,
    base_of,
    json_object,
    refused,
    upstream_id_of,
)

CHANNEL_TYPE = 24
VERSION = "v1beta"


def _headers(key: str) -> dict[str, str]:
    return {"Content-Type": "application/json", "Accept": "application/json", "x-goog-api-key": key}


def video_uri(data: Any) -> str:
    response = data.get("response") if isinstance(data, dict) else None
    generated = response.get("generateVideoResponse") if isinstance(response, dict) else None
    samples = generated.get("generatedSamples") if isinstance(generated, dict) else None
    first = samples[0] if isinstance(samples, list) and samples and isinstance(samples[0], dict) else {}
    video = object_at(first, "video")
    return str(video.get("uri") or "")


def operation_state(answer: dict[str, Any]) -> TaskUpdate:
    """A long-running operation: an error fails it, `done` finishes it, else it is running."""
    error = object_at(answer, "error")
    if error.get("message"):
        return TaskUpdate(status=FAILURE, fail_reason=str(error["message"]), data=answer)
    if not answer.get("done"):
        return TaskUpdate(status=IN_PROGRESS, progress="50%", data=answer)
    return TaskUpdate(status=SUCCESS, data=answer)


def operation_accepted(reply: Reply, secrets: tuple[str, ...]) -> tuple[str, Any]:
    """A long-running predict's reply: the operation's name is the task's upstream id."""
    answer = json_object(reply)
    if reply.status != 200 or not str(answer.get("name") or "").strip():
        error = object_at(answer, "error")
        raise refused(reply, error.get("message") or "missing operation name", secrets)
    return str(answer["name"]), answer


def operation_reply(reply: Reply) -> TaskUpdate:
    answer = json_object(reply)
    if reply.status != 200 or not answer:  # a failed operation is a 200 with `error`; anything else is asked again
        raise UpstreamFailed(f"no operation state (status {reply.status})")
    return operation_state(answer)


class Gemini(Provider):
    name = "Gemini"
    default_model = veo.DEFAULT_MODEL

    def ratios(self, req: VideoRequest, upstream_model: str) -> dict[str, float]:
        return veo.ratios(req, upstream_model)

    def submit_request(self, channel: ChannelInfo, key: str, req: VideoRequest, upstream_model: str,
                       token: str = "") -> Outbound:
        return Outbound("POST", f"{base_of(channel)}/{VERSION}/models/{upstream_model}:predictLongRunning",
                        _headers(key), orjson.dumps(veo.payload(req, sample_count=False)))

    def accepted(self, reply: Reply, secrets: tuple[str, ...]) -> tuple[str, Any]:
        return operation_accepted(reply, secrets)

    def fetch_request(self, channel: ChannelInfo, key: str, row: Task, token: str = "") -> Outbound:
        return Outbound("GET", f"{base_of(channel)}/{VERSION}/{upstream_id_of(row)}",
                        {"Accept": "application/json", "x-goog-api-key": key})

    def state(self, reply: Reply) -> TaskUpdate:
        return operation_reply(reply)

    def public_result(self, row: Task) -> bool:
        return False  # the URI needs the channel's key

    def content(self, row: Task, channel: ChannelInfo, key: str) -> Content:
        uri = video_uri(row.data)
        if not uri or urlsplit(uri).netloc != urlsplit(base_of(channel)).netloc:
            return Content()  # the key goes to the channel's own host only
        return Content(upstream=Outbound("GET", uri, {"x-goog-api-key": key}))
