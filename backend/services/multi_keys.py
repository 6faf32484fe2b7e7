"""`POST /api/channel/multi_key/manage`: list, switch off, switch on and delete the keys of a
multi-key channel, with new-api's actions, statuses and answers.

A key's state lives in the channel's `channel_info` JSON as new-api stores it:
`multi_key_status_list` maps a key's position ("0", "1"...) to 2 (switched off by an admin) or
3 (switched off by the gateway after failures); absent means enabled. The row is locked while it
changes, so two admins (or an admin and the auto-disable rule) never overwrite each other.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import orjson
from sqlmodel import Session, select

from backend.cache import channels as channel_cache
from backend.db import session_scope
from backend.models import Channel
from backend.models.enums import ChannelStatus
from backend.services.errors import NotFound, ServiceError, msg

ACTIONS = ("get_key_status", "disable_key", "enable_key", "enable_all_keys", "disable_all_keys", "delete_key",
           "delete_disabled_keys")
DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 500
PREVIEW_CHARS = 10


@dataclass
class Request:
    channel_id: int
    action: str
    key_index: int | None = None
    page: int = 1
    page_size: int = DEFAULT_PAGE_SIZE
    status: int | None = None


def preview(key: str) -> str:
    """What identifies a key in the list: its first characters, never the whole of a short key."""
    shown = key[:PREVIEW_CHARS] if len(key) > PREVIEW_CHARS else key[: len(key) // 2]
    return shown + "..."


def _status_map(info: dict[str, Any], name: str) -> dict[str, Any]:
    value = info.get(name)
    return {str(k): v for k, v in value.items()} if isinstance(value, dict) else {}


def _status_of(statuses: dict[str, Any], index: int) -> int:
    try:
        return int(statuses.get(str(index), ChannelStatus.ENABLED))
    except (TypeError, ValueError):
        return int(ChannelStatus.ENABLED)


def manage(req: Request) -> tuple[str, Any]:
    """(message, data) of one action; ServiceError/NotFound for a refusal."""
    if req.action not in ACTIONS:
        raise ServiceError(msg("unsupported action"))
    with session_scope() as s:
        channel = _locked(s, req.channel_id)
        info = channel_cache.parse_json_object(channel.channel_info)
        if not info.get("is_multi_key"):
            raise ServiceError(msg("this channel is not in multi-key mode"))
        keys = list(channel_cache.split_keys(channel.key))
        if req.action == "get_key_status":
            return "", _key_status(keys, info, req)
        message = _change(channel, info, keys, req)
        channel.channel_info = orjson.dumps(info).decode()
        s.add(channel)
    channel_cache.reload()
    return message, None


def _locked(s: Session, channel_id: int) -> Channel:
    channel = s.exec(select(Channel).where(Channel.id == channel_id).with_for_update()).first()
    if channel is None:
        raise NotFound(msg("channel not found"))
    return channel


def _key_status(keys: list[str], info: dict[str, Any], req: Request) -> dict[str, Any]:
    statuses = _status_map(info, "multi_key_status_list")
    times = _status_map(info, "multi_key_disabled_time")
    reasons = _status_map(info, "multi_key_disabled_reason")
    rows = []
    for index, key in enumerate(keys):
        status = _status_of(statuses, index)
        row: dict[str, Any] = {"index": index, "status": status, "key_preview": preview(key)}
        if status != ChannelStatus.ENABLED:
            if times.get(str(index)):
                row["disabled_time"] = times[str(index)]
            if reasons.get(str(index)):
                row["reason"] = reasons[str(index)]
        rows.append(row)
    counts = {s: sum(1 for r in rows if r["status"] == s) for s in ChannelStatus}
    shown = [r for r in rows if req.status is None or r["status"] == req.status]
    page_size = min(max(req.page_size, 1), MAX_PAGE_SIZE) if req.page_size > 0 else DEFAULT_PAGE_SIZE
    total_pages = max((len(shown) + page_size - 1) // page_size, 1)
    page = min(max(req.page, 1), total_pages)
    start = (page - 1) * page_size
    return {
        "keys": shown[start:start + page_size],
        "total": len(shown),
        "page": page,
        "page_size": page_size,
        "total_pages": total_pages,
        "enabled_count": counts[ChannelStatus.ENABLED],
        "manual_disabled_count": counts[ChannelStatus.MANUALLY_DISABLED],
        "auto_disabled_count": counts[ChannelStatus.AUTO_DISABLED],
    }


def _index(req: Request, keys: list[str]) -> str:
    if req.key_index is None:
        raise ServiceError(msg("key_index is required for this action"))
    if not 0 <= req.key_index < len(keys):
        raise ServiceError(msg("key_index is out of range"))
    return str(req.key_index)


def _change(channel: Channel, info: dict[str, Any], keys: list[str], req: Request) -> str:
    statuses = _status_map(info, "multi_key_status_list")
    times = _status_map(info, "multi_key_disabled_time")
    reasons = _status_map(info, "multi_key_disabled_reason")
    if req.action == "disable_key":
        index = _index(req, keys)
        statuses[index], times[index] = int(ChannelStatus.MANUALLY_DISABLED), int(time.time())
        message = "key disabled"
    elif req.action == "enable_key":
        index = _index(req, keys)
        for part in (statuses, times, reasons):
            part.pop(index, None)
        message = "key enabled"
    elif req.action == "enable_all_keys":
        message = f"{len(statuses)} keys enabled"
        statuses, times, reasons = {}, {}, {}
    elif req.action == "disable_all_keys":
        now = int(time.time())
        turned = [str(i) for i in range(len(keys)) if _status_of(statuses, i) == ChannelStatus.ENABLED]
        if not turned:
            raise ServiceError(msg("no enabled key to disable"))
        for index in turned:
            statuses[index], times[index] = int(ChannelStatus.MANUALLY_DISABLED), now
        message = f"{len(turned)} keys disabled"
    else:  # delete_key, delete_disabled_keys: the kept keys move up and take their states along
        if req.action == "delete_key":
            drop = {int(_index(req, keys))}
        else:
            drop = {i for i in range(len(keys)) if _status_of(statuses, i) == ChannelStatus.AUTO_DISABLED}
            if not drop:
                raise ServiceError(msg("no automatically disabled key to delete"))
        kept = [i for i in range(len(keys)) if i not in drop]
        if not kept:
            raise ServiceError(msg("the last key of a channel cannot be deleted"))
        moved = {str(old): str(new) for new, old in enumerate(kept)}
        statuses, times, reasons = ({moved[k]: v for k, v in part.items() if k in moved}
                                    for part in (statuses, times, reasons))
        channel.key = _join_keys(channel.key, [keys[i] for i in kept])
        info["multi_key_size"] = len(kept)
        message = "key deleted" if req.action == "delete_key" else f"{len(drop)} keys deleted"
    info["multi_key_status_list"] = statuses
    info["multi_key_disabled_time"] = times
    info["multi_key_disabled_reason"] = reasons
    return message


def _join_keys(stored: str, kept: list[str]) -> str:
    """The kept keys in the stored form: a JSON array stays one (service-account credentials),
    else one key per line."""
    if stored.strip().startswith("["):
        return orjson.dumps([orjson.loads(k) if k.startswith(("{", "[")) else k for k in kept]).decode()
    return "\n".join(kept)
