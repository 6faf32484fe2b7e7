"""Channels on the wire. `ChannelPublic` is every column but the key (`key_count` says how many
it holds); the key reaches only root, through `ChannelKey`."""

from __future__ import annotations

from typing import Any, Literal

import orjson
from pydantic import BaseModel, ConfigDict, field_validator

from backend.models.schemas.base import Page


def _csv(v: Any) -> Any:
    """The UI may send a list; the column is CSV."""
    if isinstance(v, list | tuple):
        return ",".join(str(x) for x in v)
    return v


def _json_text(v: Any) -> Any:
    """Accept an object as well as its JSON text; the column stores text."""
    if isinstance(v, dict):
        return orjson.dumps(v).decode()
    return v


JSON_FIELDS = ("model_mapping", "status_code_mapping", "param_override", "header_override", "setting", "settings")


class ChannelFields(BaseModel):
    """The writable columns of a channel; every field optional so an update can be partial. Which
    fields the caller sent is `model_fields_set`: only those are checked and written."""

    model_config = ConfigDict(extra="ignore")

    id: int | None = None
    type: int | None = None
    key: str | None = None
    openai_organization: str | None = None
    test_model: str | None = None
    status: int | None = None
    name: str | None = None
    weight: int | None = None
    base_url: str | None = None
    other: str | None = None
    models: str | None = None
    group: str | None = None
    model_mapping: str | None = None
    status_code_mapping: str | None = None
    priority: int | None = None
    auto_ban: int | None = None
    tag: str | None = None
    setting: str | None = None
    param_override: str | None = None
    header_override: str | None = None
    settings: str | None = None  # new-api's "other settings" JSON (column `settings`)
    remark: str | None = None

    _to_csv = field_validator("models", "group", mode="before")(_csv)
    _to_json = field_validator(*JSON_FIELDS, mode="before")(_json_text)


class ChannelCreate(BaseModel):
    """`POST /api/channel/` as new-api sends it: `single` (one channel), `batch` (one channel per
    key line), `multi_to_single` (one channel holding every key)."""

    model_config = ConfigDict(extra="ignore")

    mode: Literal["single", "batch", "multi_to_single"] = "single"
    multi_key_mode: str | None = None
    channel: ChannelFields


class ChannelUpdate(ChannelFields):
    """`PUT /api/channel/`: the sent fields change; an empty key keeps the stored one;
    `key_mode: "append"` adds the sent keys to the stored ones."""

    key_mode: str | None = None


class ChannelTagEdit(BaseModel):
    """`PUT /api/channel/tag`: the sent fields, applied to every channel carrying `tag`."""

    model_config = ConfigDict(extra="ignore")

    tag: str
    new_tag: str | None = None
    priority: int | None = None
    weight: int | None = None
    model_mapping: str | None = None
    models: str | None = None
    groups: str | None = None

    _to_csv = field_validator("models", "groups", mode="before")(_csv)
    _to_json = field_validator("model_mapping", mode="before")(_json_text)


class ChannelPublic(BaseModel):
    id: int | None
    type: int | None
    openai_organization: str | None
    test_model: str | None
    status: int | None
    name: str | None
    weight: int | None
    created_time: int | None
    test_time: int | None
    response_time: int | None
    base_url: str | None
    other: str | None
    balance: float | None
    balance_updated_time: int | None
    models: str | None
    group: str | None
    used_quota: int | None
    model_mapping: str | None
    status_code_mapping: str | None
    priority: int | None
    auto_ban: int | None
    other_info: str | None
    tag: str | None
    setting: str | None
    param_override: str | None
    header_override: str | None
    remark: str | None
    channel_info: str | None
    settings: str | None  # the `settings` column (new-api's other settings)
    key_count: int


class ChannelSearchPage(Page[ChannelPublic]):
    pass


class ChannelListPage(Page[ChannelPublic]):
    """The list also counts channels per type (`all` = every type) under the status filter."""

    type_counts: dict[str, int]


class ChannelIds(BaseModel):
    """`POST /api/channel/`'s answer: the new channels' ids, in key order."""

    ids: list[int]


class ChannelKey(BaseModel):
    """`POST /api/channel/:id/key` (root, verified): the stored key, one per line."""

    key: str
