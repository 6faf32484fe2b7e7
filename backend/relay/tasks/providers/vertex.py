"""Veo on Vertex AI (channel type 41): `POST {api base}/publishers/google/models/{model}:
predictLongRunning` and `…:fetchPredictOperation` with an access token bought with the channel's
service-account key (the chat adaptor's token cache). The finished video comes back inline as
base64, kept in the task and served by `/v1/videos/{id}/content`.
"""

from __future__ import annotations

import base64
import binascii
import re
from typing import Any

import orjson

from backend.cache.channels import ChannelInfo
from backend.models import Task
from backend.relay.adaptors.base import UpstreamError
from backend.relay.adaptors.vertex_token import access_token
from backend.relay.convert.vertex import VertexKeyError, api_base, model_url, parse_credentials, region_for
from backend.relay.tasks.common import Reply, UpstreamFailed
from backend.relay.tasks.poller import TaskUpdate
from backend.relay.tasks.providers import veo
from backend.relay.tasks.providers.base import (
    Content,
    Outbound,
    Provider,
    VideoRequest,
    upstream_id_of,
)
from backend.relay.tasks.providers.gemini import operation_accepted, operation_reply
from backend.relay.tasks.submit import TaskRefused
from backend.relay.upstream import UpstreamTransportError, get_client

CHANNEL_TYPE = 41
_OPERATION = re.compile(r"projects/([^/]+)/locations/([a-z0-9-]+)/publishers/google/models/([^/]+)/operations/")


def inline_video(data: Any) -> tuple[bytes, str]:
    """(bytes, mime) of the first video in a finished operation, or (b"", "")."""
    response = data.get("response") if isinstance(data, dict) else None
    if not isinstance(response, dict):
        return b"", ""
    videos = response.get("videos")
    first = videos[0] if isinstance(videos, list) and videos and isinstance(videos[0], dict) else response
    encoded = first.get("bytesBase64Encoded") or response.get("video") or ""
    mime = str(first.get("mimeType") or "").strip() or "video/" + (str(first.get("encoding") or "") or "mp4")
    try:
        return base64.b64decode(str(encoded), validate=True), mime
    except (binascii.Error, ValueError):
        return b"", ""


def _headers(token: str, project: str) -> dict[str, str]:
    return {"Content-Type": "application/json", "Accept": "application/json", "Authorization": f"Bearer {token}",
            "x-goog-user-project": project}


def _project(key: str) -> str:
    try:
        return parse_credentials(key).project_id
    except VertexKeyError as exc:
        raise TaskRefused("channel_config_invalid", "the Vertex AI channel key is not a service-account JSON",
                          502) from exc


class Vertex(Provider):
    name = "Vertex AI"
    default_model = veo.DEFAULT_MODEL

    def ratios(self, req: VideoRequest, upstream_model: str) -> dict[str, float]:
        return veo.ratios(req, upstream_model)

    async def token(self, channel: ChannelInfo, key: str) -> str:
        try:
            creds = parse_credentials(key)
        except VertexKeyError as exc:
            raise TaskRefused("channel_config_invalid", "the Vertex AI channel key is not a service-account JSON",
                              502) from exc
        proxy = channel.setting.get("proxy") if isinstance(channel.setting.get("proxy"), str) else None
        try:
            return await access_token(get_client(), channel.id, key, creds, proxy or None)
        except UpstreamError as exc:
            raise TaskRefused("channel_auth_failed", "the upstream refused this channel's credentials", 502) from exc
        except UpstreamTransportError as exc:
            raise UpstreamFailed("token endpoint unreachable") from exc

    def submit_request(self, channel: ChannelInfo, key: str, req: VideoRequest, upstream_model: str,
                       token: str = "") -> Outbound:
        project = _project(key)
        base = api_base(channel.base_url, project, region_for(channel.other, upstream_model))
        return Outbound("POST", model_url(base, "google", upstream_model, "predictLongRunning"),
                        _headers(token, project), orjson.dumps(veo.payload(req, sample_count=True)))

    def accepted(self, reply: Reply, secrets: tuple[str, ...]) -> tuple[str, Any]:
        return operation_accepted(reply, secrets)

    def fetch_request(self, channel: ChannelInfo, key: str, row: Task, token: str = "") -> Outbound:
        name = upstream_id_of(row)
        found = _OPERATION.search(name)
        if found is None:
            raise UpstreamFailed(f"operation name of task {row.task_id} is not Vertex's")
        project, region, model = found.groups()
        url = model_url(api_base(channel.base_url, project, region), "google", model, "fetchPredictOperation")
        return Outbound("POST", url, _headers(token, project), orjson.dumps({"operationName": name}))

    def state(self, reply: Reply) -> TaskUpdate:
        return operation_reply(reply)

    def public_result(self, row: Task) -> bool:
        return False  # the video is inline: only the gateway can serve it

    def content(self, row: Task, channel: ChannelInfo, key: str) -> Content:
        data, mime = inline_video(row.data)
        return Content(data=data, mime=mime or "video/mp4")
