"""Jimeng (即梦, channel type 51): Volcengine's visual API, `CVSync2AsyncSubmitTask` to submit and
`CVSync2AsyncGetResult` to poll, both `POST <base>/?Action=…&Version=2022-08-31` with a `req_key`
naming the model, signed with the channel key `access_key|secret_key` (HMAC-SHA256, region
cn-north-1, service cv). A key starting `sk-` is another new-api in front: `<base>/jimeng/?Action=…`
with a Bearer key, as new-api does. Billed per call (new-api adds no ratio for Jimeng).
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, urlsplit

import orjson

from backend.cache.channels import ChannelInfo
from backend.json_shape import object_at
from backend.models import Task
from backend.models.task import FAILURE, IN_PROGRESS, QUEUED, SUCCESS
from backend.relay.tasks.common import Reply, UpstreamFailed
from backend.relay.tasks.poller import TaskUpdate
from backend.relay.tasks.providers.base import (
    FIRST_TAIL_GENERATE,
    Outbound,
    Provider,
    VideoRequest,
    bare_base64,
    base_of,
    json_object,
    refused,
    upstream_id_of,
)
from backend.relay.tasks.submit import TaskRefused

CHANNEL_TYPE = 51
VERSION = "2022-08-31"
SUBMIT, GET_RESULT = "CVSync2AsyncSubmitTask", "CVSync2AsyncGetResult"
REGION, SERVICE = "cn-north-1", "cv"
DEFAULT_REQ_KEY = "jimeng_vgfm_t2v_l20"
OK = 10000
_STATUS = {"in_queue": QUEUED, "generating": IN_PROGRESS, "done": SUCCESS, "not_found": FAILURE, "expired": FAILURE}


def resolve_req_key(req_key: str, images: int) -> str:
    """Jimeng 3.0's model names (new-api resolveJimengReqKey): one `jimeng_v30…` name becomes the
    text, first-frame or first-and-last-frame key by the number of images."""
    if "jimeng_v30" not in req_key:
        return req_key
    if req_key == "jimeng_v30_pro":
        return "jimeng_ti2v_v30_pro"
    if images > 1:
        return req_key.replace("jimeng_v30", "jimeng_i2v_first_tail_v30", 1).removesuffix("p")
    if images == 1:
        return req_key.replace("jimeng_v30", "jimeng_i2v_first_v30", 1).removesuffix("p")
    return req_key.replace("jimeng_v30", "jimeng_t2v_v30", 1)


def submit_body(req: VideoRequest, upstream_model: str) -> dict[str, Any]:
    """new-api's requestPayload: frames 241 for a 10 s video, else 121 (24 fps); images as URLs or
    base64; metadata overrides any field but the req_key, which stays the (mapped) model's."""
    body: dict[str, Any] = {"req_key": upstream_model, "prompt": req.prompt, "seed": 0, "aspect_ratio": "",
                            "frames": 241 if req.duration == 10 else 121}
    if req.images:
        if req.images[0].startswith("http"):
            body["image_urls"] = list(req.images)
        else:
            body["binary_data_base64"] = [bare_base64(i) for i in req.images]
    body.update({k: v for k, v in req.metadata.items() if k != "req_key"})
    images = max(len(req.images), len(body.get("image_urls") or []), len(body.get("binary_data_base64") or []))
    body["req_key"] = resolve_req_key(upstream_model, images)
    return body


def _hmac(key: bytes, text: str) -> bytes:
    return hmac.new(key, text.encode(), hashlib.sha256).digest()


def sign(method: str, url: str, body: bytes, access: str, secret: str, now: datetime) -> dict[str, str]:
    """Volcengine's request signature over host, date, body hash and content type."""
    parts = urlsplit(url)
    x_date = now.strftime("%Y%m%dT%H%M%SZ")
    short = x_date[:8]
    payload_hash = hashlib.sha256(body).hexdigest()
    query = "&".join(sorted(f"{quote(k, safe='')}={quote(v, safe='')}"
                            for k, _s, v in (p.partition("=") for p in parts.query.split("&") if p)))
    signed = {"content-type": "application/json", "host": parts.netloc, "x-content-sha256": payload_hash,
              "x-date": x_date}
    names = sorted(signed)
    canonical = "\n".join([method, parts.path or "/", query, "".join(f"{n}:{signed[n]}\n" for n in names),
                           ";".join(names), payload_hash])
    scope = f"{short}/{REGION}/{SERVICE}/request"
    to_sign = f"HMAC-SHA256\n{x_date}\n{scope}\n{hashlib.sha256(canonical.encode()).hexdigest()}"
    k = _hmac(_hmac(_hmac(_hmac(secret.encode(), short), REGION), SERVICE), "request")
    signature = hmac.new(k, to_sign.encode(), hashlib.sha256).hexdigest()
    return {"Content-Type": "application/json", "Accept": "application/json", "X-Date": x_date,
            "X-Content-Sha256": payload_hash,
            "Authorization": f"HMAC-SHA256 Credential={access}/{scope}, SignedHeaders={';'.join(names)}, "
                             f"Signature={signature}"}


def _request(channel: ChannelInfo, key: str, action: str, payload: dict[str, Any]) -> Outbound:
    body = orjson.dumps(payload)
    relay = key.startswith("sk-")  # another new-api in front
    url = f"{base_of(channel)}{'/jimeng' if relay else ''}/?Action={action}&Version={VERSION}"
    if relay:
        return Outbound("POST", url, {"Content-Type": "application/json", "Accept": "application/json",
                                      "Authorization": f"Bearer {key}"}, body)
    access, sep, secret = key.partition("|")
    if not sep:
        raise TaskRefused("channel_config_invalid", "the Jimeng channel key must be access_key|secret_key", 502)
    return Outbound("POST", url, sign("POST", url, body, access.strip(), secret.strip(), datetime.now(UTC)), body)


class Jimeng(Provider):
    name = "Jimeng"
    default_model = DEFAULT_REQ_KEY

    def action(self, req: VideoRequest) -> str:
        return FIRST_TAIL_GENERATE if len(req.images) > 1 else super().action(req)

    def notes(self, req: VideoRequest, upstream_model: str) -> dict[str, Any]:
        return {"upstream_request_key": submit_body(req, upstream_model)["req_key"]}  # the poll names it again

    def submit_request(self, channel: ChannelInfo, key: str, req: VideoRequest, upstream_model: str,
                       token: str = "") -> Outbound:
        return _request(channel, key, SUBMIT, submit_body(req, upstream_model))

    def accepted(self, reply: Reply, secrets: tuple[str, ...]) -> tuple[str, Any]:
        answer = json_object(reply)
        data = object_at(answer, "data")
        if reply.status != 200 or answer.get("code") != OK:
            raise refused(reply, answer.get("message"), secrets)
        return str(data.get("task_id") or ""), answer

    def fetch_request(self, channel: ChannelInfo, key: str, row: Task, token: str = "") -> Outbound:
        req_key = str((row.private_data or {}).get("upstream_request_key") or DEFAULT_REQ_KEY)
        return _request(channel, key, GET_RESULT, {"req_key": req_key, "task_id": upstream_id_of(row)})

    def state(self, reply: Reply) -> TaskUpdate:
        answer = json_object(reply)
        data = object_at(answer, "data")
        if reply.status != 200 or not answer:  # refused or unreachable now: not a verdict on the task
            raise UpstreamFailed(f"no task state (status {reply.status})")
        if answer.get("code") != OK:
            return TaskUpdate(status=FAILURE, fail_reason=str(answer.get("message") or "task failed"), data=answer)
        status = _STATUS.get(str(data.get("status") or ""), IN_PROGRESS)
        url = str(data.get("video_url") or "")
        return TaskUpdate(status=status, result_url=url if status == SUCCESS else "", data=answer,
                          fail_reason="the upstream no longer has this task" if status == FAILURE else "")
