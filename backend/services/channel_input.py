"""Channel request bodies: parsing into the contracts of `backend/models/schemas/channel.py`,
validation with messages that name the field, normalisation.

The JSON columns are checked here, on write, so the relay can trust what it reads back. Bodies are
parsed here rather than by FastAPI so a refusal names the channel field in new-api's words.
"""

from __future__ import annotations

from typing import Any, TypeVar

import orjson
from pydantic import BaseModel, ValidationError

from backend.cache.channels import split_csv
from backend.models.channel_types import unsupported_reason
from backend.models.enums import ChannelStatus
from backend.models.schemas.channel import JSON_FIELDS, ChannelCreate, ChannelFields
from backend.services.errors import ServiceError, msg

M = TypeVar("M", bound=BaseModel)

VERTEX_AI = 41
# Channel types whose `other` becomes part of the upstream host (Vertex AI: `{region}-aiplatform...`).
# Elsewhere `other` is an API version or an account id in the path, on the same host.
HOST_FROM_OTHER = frozenset({VERTEX_AI})
_STR_LIMITS = {
    "name": 255, "openai_organization": 255, "test_model": 255, "base_url": 255,
    "tag": 255, "remark": 255, "status_code_mapping": 1024,
}


def parse(model: type[M], data: Any) -> M:
    """Validate a request body, turning pydantic's error into a 400 that names the field."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ())) or "body"
        raise ServiceError(msg("invalid channel field {where}: {value}", where=where, value=first.get('msg', ''))) from exc


def parse_create(body: Any) -> ChannelCreate:
    """POST /api/channel/: new-api's `{mode, channel}`, or the older plain channel body, whose
    newline-separated keys each become a channel (like `batch`)."""
    if isinstance(body, dict) and "channel" in body:
        return parse(ChannelCreate, body)
    fields = parse(ChannelFields, body)
    # a JSON credential (Vertex AI) spans lines but is one key
    mode = "single" if (fields.key or "").strip().startswith("{") else "batch"
    return ChannelCreate(mode=mode, channel=fields)


def _json_object(name: str, raw: str) -> dict[str, Any]:
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise ServiceError(msg("{name} is not valid JSON: {exc}", name=name, exc=exc)) from exc
    if not isinstance(value, dict):
        raise ServiceError(msg("{name} must be a JSON object", name=name))
    return value


def validate_json_field(name: str, raw: str | None) -> None:
    """400 with a clear message when a JSON column holds something the relay cannot use."""
    if raw is None or not raw.strip():
        return
    value = _json_object(name, raw)
    if name == "model_mapping":
        bad = [k for k, v in value.items() if not isinstance(v, str) or not v.strip()]
        if bad:
            raise ServiceError(msg("model_mapping values must be non-empty model names (check {bad!r})", bad=bad[0]))
    elif name == "status_code_mapping":
        for k, v in value.items():
            try:
                codes = (int(k), int(v))
            except (TypeError, ValueError):
                raise ServiceError(msg("status_code_mapping must map status codes to status codes (check {k!r})", k=k)) from None
            if not all(100 <= c <= 599 for c in codes):
                raise ServiceError(msg("status_code_mapping codes must be between 100 and 599 (check {k!r})", k=k))
    elif name == "header_override":
        bad = [k for k, v in value.items() if not isinstance(v, str)]
        if bad:
            raise ServiceError(msg("header_override values must be strings (check {bad!r})", bad=bad[0]))
    elif name == "setting" and value.get("proxy"):
        proxy = value["proxy"]
        if not isinstance(proxy, str) or not proxy.startswith(("http://", "https://", "socks5://", "socks5h://")):
            raise ServiceError(msg("setting.proxy must be an http://, https:// or socks5:// URL"))


# new-api's console refuses a channel without models: it could never be chosen for a request.
NO_MODELS = msg("choose at least one model for the channel")


def validate(f: ChannelFields, set_fields: set[str]) -> None:
    for name in JSON_FIELDS:
        if name in set_fields:
            validate_json_field(name, getattr(f, name))
    for name, limit in _STR_LIMITS.items():
        value = getattr(f, name)
        if name in set_fields and value is not None and len(value) > limit:
            raise ServiceError(msg("{name} is too long (at most {limit} characters)", name=name, limit=limit))
    if "type" in set_fields and (f.type is None or f.type < 0):
        raise ServiceError(msg("type must be a channel type number"))
    if "status" in set_fields and f.status not in tuple(ChannelStatus):
        raise ServiceError(msg("status must be 1 (enabled), 2 (disabled) or 3 (auto-disabled)"))
    if "weight" in set_fields and (f.weight is None or f.weight < 0):
        raise ServiceError(msg("weight must be a non-negative integer"))
    if "auto_ban" in set_fields and f.auto_ban not in (0, 1):
        raise ServiceError(msg("auto_ban must be 0 or 1"))
    if "base_url" in set_fields and f.base_url and not f.base_url.strip().startswith(("http://", "https://")):
        raise ServiceError(msg("base_url must start with http:// or https://"))
    if "models" in set_fields and f.models is not None and not split_csv(f.models):
        raise ServiceError(NO_MODELS)
    if "models" in set_fields:
        long = [m for m in split_csv(f.models) if len(m) > 255]
        if long:
            raise ServiceError(msg("model name too long: {name}…", name=long[0][:60]))
    if "group" in set_fields:
        groups = ",".join(split_csv(f.group))
        if len(groups) > 64:
            raise ServiceError(msg("group list is too long (at most 64 characters in all)"))


def normalise(values: dict[str, Any]) -> dict[str, Any]:
    if "models" in values:
        values["models"] = ",".join(split_csv(values["models"]))
    if "group" in values:
        values["group"] = ",".join(split_csv(values["group"])) or "default"
    if values.get("base_url"):
        values["base_url"] = values["base_url"].strip().rstrip("/")
    if "settings" in values:
        values["other_settings"] = values.pop("settings")
    if "tag" in values:
        values["tag"] = (values["tag"] or "").strip() or None
    for name in ("name", "test_model", "openai_organization"):
        if values.get(name):
            values[name] = values[name].strip()
    return values


def check_vertex(type_: int | None, other: str | None) -> None:
    if type_ != VERTEX_AI:
        return
    if other is None or not other.strip():
        raise ServiceError(msg("Vertex AI channels need a deployment region in `other`"))
    if other.strip().startswith("{") and "default" not in _json_object("other", other):
        raise ServiceError(msg("the Vertex AI region map in `other` must have a `default` entry"))


def check_relayable(type_: int | None, base_url: str | None) -> None:
    """Refuse a channel the relay could never use (a kind it does not speak, no URL to call), so
    no channel accepts traffic and then fails every call."""
    reason = unsupported_reason(type_ if type_ is not None else 0, base_url)
    if reason is not None:
        raise ServiceError(reason)
