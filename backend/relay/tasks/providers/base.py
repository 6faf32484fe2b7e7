"""What a video provider is to the shared task lifecycle (`lifecycle.py`): how to price, build and
read one submit, how to ask for a task's state, and where its finished video is.

new-api has one TaskAdaptor per provider (relay/channel/task/<name>); here each provider is a small
`Provider` subclass in its own module, registered by channel type in `providers/__init__.py`, and
everything they share (reserve, send, charge only on acceptance, store, poll, refund once) is
written once. Conversions are pure: a provider builds an `Outbound` and reads a `Reply`, it never
sends anything itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from backend.cache.channels import ChannelInfo
from backend.models import Task
from backend.models.channel_types import default_base_url
from backend.relay.tasks.common import Reply, UpstreamFailed
from backend.relay.tasks.poller import TaskUpdate
from backend.relay.tasks.submit import TaskRefused, upstream_refusal

# new-api's task actions (constant.TaskAction*)
GENERATE = "generate"  # from one image
TEXT_GENERATE = "textGenerate"
FIRST_TAIL_GENERATE = "firstTailGenerate"  # first and last frame
REFERENCE_GENERATE = "referenceGenerate"  # several reference images
MAX_SECONDS = 600  # no video task is longer; a larger number is a typo that would multiply the bill


def _int_field(value: object, name: str) -> int:
    """new-api's TaskSubmitReq takes `duration` as a number or a numeric string."""
    if value is None or value == "":
        return 0
    if isinstance(value, bool):
        raise TaskRefused("invalid_request", f"field {name} must be a number")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value.strip())
    raise TaskRefused("invalid_request", f"field {name} must be a whole number")


@dataclass(frozen=True)
class VideoRequest:
    """new-api's TaskSubmitReq, read once from a `/v1/video/generations` or `/v1/videos` body."""

    model: str
    prompt: str
    images: tuple[str, ...] = ()
    duration: int = 0
    seconds: str = ""
    size: str = ""
    mode: str = ""
    metadata: dict[str, Any] = field(default_factory=dict)
    fields: dict[str, Any] = field(default_factory=dict)  # the whole body, for provider-specific fields

    @classmethod
    def parse(cls, fields: dict[str, Any], default_model: str) -> VideoRequest:
        """TaskRefused (400) for a body new-api's binding would refuse, before anything is charged."""
        prompt = fields.get("prompt")
        if not isinstance(prompt, str) or not prompt.strip():
            raise TaskRefused("invalid_request", "prompt is required")
        images: list[str] = []
        raw_images = fields.get("images")
        if raw_images not in (None, ""):
            if not isinstance(raw_images, list) or not all(isinstance(i, str) for i in raw_images):
                raise TaskRefused("invalid_request", "field images must be a list of strings")
            images = [i for i in raw_images if i.strip()]
        for single in ("image", "input_reference"):
            value = fields.get(single)
            if not images and isinstance(value, str) and value.strip():
                images = [value]
        metadata = fields.get("metadata")
        if metadata in (None, ""):
            metadata = {}
        if not isinstance(metadata, dict):
            raise TaskRefused("invalid_request", "field metadata must be an object")
        duration = _int_field(fields.get("duration"), "duration")
        seconds = fields.get("seconds")
        seconds_text = str(seconds) if isinstance(seconds, (str, int)) and not isinstance(seconds, bool) else ""
        if seconds not in (None, "") and not seconds_text.strip().isdigit():
            raise TaskRefused("invalid_request", "field seconds must be a whole number")
        for number in (duration, int(seconds_text or 0)):
            if number > MAX_SECONDS:
                raise TaskRefused("invalid_request", f"a video cannot be longer than {MAX_SECONDS} seconds")
        model = fields.get("model")
        return cls(
            model=model if isinstance(model, str) and model.strip() else default_model,
            prompt=prompt, images=tuple(images), duration=duration, seconds=seconds_text.strip(),
            size=str(fields.get("size") or ""), mode=str(fields.get("mode") or ""),
            metadata={k: v for k, v in metadata.items() if k != "model"},  # new-api: metadata never renames the model
            fields=dict(fields),
        )


@dataclass(frozen=True)
class Outbound:
    method: str
    url: str
    headers: dict[str, str]
    body: bytes | None = None


@dataclass(frozen=True)
class Content:
    """Where a finished video's bytes come from: a URL the upstream handed out (fetched under the
    SSRF rules), bytes kept in the task (`data`), or an upstream request streamed through."""

    url: str = ""
    data: bytes = b""
    mime: str = "video/mp4"
    upstream: Outbound | None = None


class Provider:
    """One provider's conversions. Subclasses set `name` (the console's label), `default_model`,
    and implement the four request/reply methods; `ratios` and `action` default to per-call billing
    and new-api's image/text action."""

    name = ""
    default_model = ""

    def ratios(self, req: VideoRequest, upstream_model: str) -> dict[str, float]:
        """new-api's EstimateBilling: the factors ModelPrice is multiplied by (none: per call).
        TaskRefused when the request asks for a combination the provider does not sell."""
        return {}

    def action(self, req: VideoRequest) -> str:
        return GENERATE if req.images else TEXT_GENERATE

    def submit_request(self, channel: ChannelInfo, key: str, req: VideoRequest, upstream_model: str,
                       token: str = "") -> Outbound:
        raise NotImplementedError

    def notes(self, req: VideoRequest, upstream_model: str) -> dict[str, Any]:
        """Private facts a later poll needs (kept in `private_data`, never shown)."""
        return {}

    async def token(self, channel: ChannelInfo, key: str) -> str:
        """An access token bought with the key, for providers that need one (else "")."""
        return ""

    def accepted(self, reply: Reply, secrets: tuple[str, ...]) -> tuple[str, Any]:
        """(the upstream's task id, what to store of its reply); TaskRefused when it said no."""
        raise NotImplementedError

    def fetch_request(self, channel: ChannelInfo, key: str, row: Task, token: str = "") -> Outbound:
        raise NotImplementedError

    def state(self, reply: Reply) -> TaskUpdate:
        """A poll's answer; UpstreamFailed when it cannot be read (the task is asked again later)."""
        raise NotImplementedError

    def content(self, row: Task, channel: ChannelInfo, key: str) -> Content:
        """The finished video: by default the URL the upstream reported."""
        return Content(url=str((row.private_data or {}).get("result_url") or ""))

    def public_result(self, row: Task) -> bool:
        """Whether the upstream's result URL may be shown to the caller as it is (it needs no key)."""
        return True


def bare_base64(image: str) -> str:
    """An image as plain base64 for providers that take no data: URI (Jimeng, Kling); URLs and bare
    base64 are returned as they are."""
    head, sep, data = image.partition(",")
    return data if sep and head.startswith("data:") and head.endswith(";base64") else image


def base_of(channel: ChannelInfo) -> str:
    """The channel's base URL, else its type's default address (new-api's ChannelBaseURLs)."""
    return (channel.base_url or default_base_url(channel.type)).strip().rstrip("/")


def upstream_id_of(row: Task) -> str:
    return str((row.private_data or {}).get("upstream_task_id") or "")


def refused(reply: Reply, message: object, secrets: tuple[str, ...]) -> TaskRefused:
    """A refusal with the upstream's status kept (4xx stays the caller's, else 502)."""
    return upstream_refusal(reply.status if reply.status != 200 else 400, message, secrets)


def json_object(reply: Reply) -> dict[str, Any]:
    """The reply as a JSON object, or {} (a non-object reply reads as a refusal or an unreadable poll)."""
    try:
        answer = reply.json()
    except UpstreamFailed:
        return {}
    return answer if isinstance(answer, dict) else {}
