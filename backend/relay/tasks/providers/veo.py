"""Veo's request and price, shared by the Gemini API (type 24) and Vertex AI (type 41) providers
(new-api relay/channel/task/gemini billing.go): `instances[0]` carries the prompt (and an inline
image), `parameters` the duration, resolution and aspect ratio; the bill is ModelPrice × seconds ×
a resolution ratio that is only above 1 for 4K on Veo 3.1.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from backend.relay.tasks.providers.base import VideoRequest
from backend.relay.tasks.submit import TaskRefused

DEFAULT_SECONDS = 8
DEFAULT_MODEL = "veo-3.0-generate-001"
_4K = {"veo-3.0-generate-001": 1.0, "veo-3.0-fast-generate-001": 1.0, "veo-3.1-generate-preview": 1.5,
       "veo-3.1-fast-generate-preview": 2.333333}


def _positive(value: object) -> int:
    if isinstance(value, bool):
        return 0
    if isinstance(value, (int, float)) and value > 0:
        return int(value)
    return 0


def seconds_of(req: VideoRequest) -> int:
    """metadata.durationSeconds, else duration, else seconds, else Veo's 8."""
    if "durationSeconds" in req.metadata:
        return _positive(req.metadata["durationSeconds"]) or DEFAULT_SECONDS
    if req.duration > 0:
        return req.duration
    if req.seconds.isdigit() and int(req.seconds) > 0:
        return int(req.seconds)
    return DEFAULT_SECONDS


def _dims(size: str) -> tuple[int, int]:
    w, _x, h = size.lower().partition("x")
    return (int(w), int(h)) if w.isdigit() and h.isdigit() else (0, 0)


def resolution_of_size(size: str) -> str:
    longest = max(_dims(size))
    return "4k" if longest >= 3840 else "1080p" if longest >= 1920 else "720p"


def aspect_of_size(size: str) -> str:
    w, h = _dims(size)
    return "9:16" if h > w > 0 else "16:9"


def resolution_of(req: VideoRequest) -> str:
    value = req.metadata.get("resolution")
    if isinstance(value, str) and value:
        return value.lower()
    return resolution_of_size(req.size) if req.size else "720p"


def resolution_ratio(model: str, resolution: str) -> float:
    if resolution != "4k":
        return 1.0
    if model in _4K:
        return _4K[model]
    if "3.1-fast-generate" in model:
        return 2.333333
    return 1.5 if "3.1" in model else 1.0


def ratios(req: VideoRequest, upstream_model: str) -> dict[str, float]:
    return {"seconds": float(seconds_of(req)), "resolution": resolution_ratio(upstream_model, resolution_of(req))}


def image_part(image: str) -> dict[str, str]:
    """An inline image for `instances[0].image`: a data: URI or bare base64 (Veo takes no URL)."""
    mime = "image/png"
    data = image
    if image.startswith("data:"):
        head, sep, data = image.partition(",")
        if not sep or ";base64" not in head:
            raise TaskRefused("invalid_request", "the image must be a base64 data: URI")
        mime = head.removeprefix("data:").split(";")[0] or mime
    elif image.startswith(("http://", "https://")):
        raise TaskRefused("invalid_request", "Veo takes the image inline (a base64 data: URI), not a URL")
    try:
        base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise TaskRefused("invalid_request", "the image is not valid base64") from exc
    return {"bytesBase64Encoded": data, "mimeType": mime}


def payload(req: VideoRequest, sample_count: bool) -> dict[str, Any]:
    instance: dict[str, Any] = {"prompt": req.prompt}
    if req.images:
        instance["image"] = image_part(req.images[0])
    params: dict[str, Any] = dict(req.metadata)
    if "durationSeconds" not in params and req.duration > 0:
        params["durationSeconds"] = req.duration
    if not params.get("resolution") and req.size:
        params["resolution"] = resolution_of_size(req.size)
    if not params.get("aspectRatio") and req.size:
        params["aspectRatio"] = aspect_of_size(req.size)
    if isinstance(params.get("resolution"), str):
        params["resolution"] = params["resolution"].lower()
    if sample_count:
        params["sampleCount"] = 1
    return {"instances": [instance], "parameters": params}
