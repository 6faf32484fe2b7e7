"""Automatic channel disable and enable (new-api's ShouldDisableChannel / DisableChannel).

The relay asks `should_disable` after a failed upstream attempt and, when it says yes, schedules
`auto_disable`. Both respect the `AutomaticDisableChannelEnabled` option and the channel's
`auto_ban` flag, so a channel is only ever switched off when the admin allowed it.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Mapping
from typing import Any

import orjson
from sqlalchemy import update
from sqlmodel import Session, col

from backend.cache import channels as channel_cache
from backend.cache.channels import parse_json_object, split_keys
from backend.db import session_scope
from backend.models import Channel
from backend.models.enums import ChannelStatus, LogType
from backend.services import abilities, activity_log, notify, options

log = logging.getLogger("newapi.channels")

GEMINI = 24
DISABLE_CODES = frozenset({"invalid_api_key", "account_deactivated", "billing_not_active"})
DISABLE_TYPES = frozenset(
    {"insufficient_quota", "insufficient_user_quota", "authentication_error", "permission_error", "forbidden"}
)


def _status_codes(spec: str) -> list[tuple[int, int]]:
    """`AutomaticDisableStatusCodes`: comma-separated codes or ranges, e.g. "401,403,500-503"."""
    ranges: list[tuple[int, int]] = []
    for part in spec.replace(" ", "").split(","):
        if not part:
            continue
        lo, _, hi = part.partition("-")
        try:
            ranges.append((int(lo), int(hi or lo)))
        except ValueError:
            continue
    return ranges


def _field(error: Any, name: str) -> Any:
    if isinstance(error, Mapping):
        inner = error.get("error")
        if isinstance(inner, Mapping):  # a whole reply body rather than its error object
            error = inner
        return error.get(name)
    return getattr(error, name, None)


def disable_triggered(status_code: int, error: Any, channel_type: int) -> bool:
    """Whether this failure means the account or key is dead (not a passing upstream hiccup)."""
    codes = _status_codes(options.get("AutomaticDisableStatusCodes") or "401")
    if any(lo <= status_code <= hi for lo, hi in codes):
        return True
    if status_code == 403 and channel_type == GEMINI:
        return True
    if error is None:
        return False
    code, type_, message = _field(error, "code"), _field(error, "type"), _field(error, "message")
    if isinstance(code, str) and code in DISABLE_CODES:
        return True
    if isinstance(type_, str) and type_ in DISABLE_TYPES:
        return True
    if isinstance(message, str) and message:
        lowered = message.lower()
        for keyword in (options.get("AutomaticDisableKeywords") or "").split("\n"):
            keyword = keyword.strip().lower()
            if keyword and keyword in lowered:
                return True
    return False


def should_disable(status_code: int, error: Any, channel: Any) -> bool:
    """The relay's question after a failed attempt. `error` is the upstream error object (a dict
    with message/type/code, or an `UpstreamError`); `channel` a `ChannelInfo`."""
    if not options.get_bool("AutomaticDisableChannelEnabled"):
        return False
    if int(getattr(channel, "auto_ban", 1) or 0) != 1:
        return False
    return disable_triggered(status_code, error, int(getattr(channel, "type", 0) or 0))


def _with_reason(other_info: str | None, reason: str) -> str:
    info = parse_json_object(other_info)
    info["status_reason"] = reason
    info["status_time"] = int(time.time())
    return orjson.dumps(info).decode()


def _disable_one_key(s: Session, c: Channel, key: str, reason: str) -> bool | None:
    """On a multi-key channel, switch off just the failing key: True if done, False if it was
    off already, None when the whole channel must go (not multi-key, unknown key, last key)."""
    info = parse_json_object(c.channel_info)
    keys = split_keys(c.key)
    if not info.get("is_multi_key") or key not in keys:
        return None
    statuses = info.get("multi_key_status_list")
    statuses = dict(statuses) if isinstance(statuses, dict) else {}
    index = str(keys.index(key))
    if str(statuses.get(index, 1)) != "1":
        return False
    statuses[index] = int(ChannelStatus.AUTO_DISABLED)
    if all(str(statuses.get(str(i), 1)) != "1" for i in range(len(keys))):
        return None
    reasons = info.get("multi_key_disabled_reason")
    info["multi_key_status_list"] = statuses
    info["multi_key_disabled_reason"] = {**(reasons if isinstance(reasons, dict) else {}), index: reason[:500]}
    done = s.exec(
        update(Channel)  # compare-and-set: a racing writer's change is not overwritten
        .where(col(Channel.id) == c.id, col(Channel.channel_info) == c.channel_info)
        .values(channel_info=orjson.dumps(info).decode())
    ).rowcount
    return bool(done)


def disable_now(channel_id: int, reason: str, key: str | None = None) -> bool:
    """Set an enabled channel to auto-disabled (3), or only `key` when the channel holds several
    keys and others still work. Returns False when nothing changed (another request got there
    first, or an admin switched the channel off by hand)."""
    with session_scope() as s:
        c = s.get(Channel, channel_id)
        if c is None or c.status != ChannelStatus.ENABLED or (c.auto_ban if c.auto_ban is not None else 1) != 1:
            return False
        name = c.name
        one_key = _disable_one_key(s, c, key, reason) if key else None
        if one_key is None:
            done = s.exec(
                update(Channel)
                .where(col(Channel.id) == channel_id, col(Channel.status) == ChannelStatus.ENABLED)
                .values(status=int(ChannelStatus.AUTO_DISABLED), other_info=_with_reason(c.other_info, reason))
            ).rowcount
            if not done:
                return False
            abilities.set_enabled(s, [channel_id], False)
        elif not one_key:
            return False
    channel_cache.reload()
    facts = {"event": "channel_disabled", "channel_id": channel_id, "channel_name": name, "reason": reason[:500]}
    if one_key:
        facts["key_index"] = split_keys(c.key).index(key) + 1
        what = f"通道「{name}」（#{channel_id}）的第 {facts['key_index']} 个密钥"
    else:
        what = f"通道「{name}」（#{channel_id}）"
    activity_log.record(0, "", LogType.SYSTEM, f"{what}已被禁用，原因：{reason[:500]}", other=facts)
    notify.notify_root(notify.CHANNEL_UPDATE, f"{what}已被禁用", f"{what}已被禁用，原因：{reason[:500]}")
    log.warning("%s auto-disabled: %s", what, reason[:200])
    return True


def enable_now(channel_id: int, reason: str = "test passed") -> bool:
    """Re-enable a channel the system disabled (status 3 only: a manual disable stays)."""
    with session_scope() as s:
        c = s.get(Channel, channel_id)
        if c is None or c.status != ChannelStatus.AUTO_DISABLED:
            return False
        values = {"status": int(ChannelStatus.ENABLED), "other_info": _with_reason(c.other_info, reason)}
        info = parse_json_object(c.channel_info)
        if info.get("multi_key_status_list"):  # the channel passed: give every key another chance
            info["multi_key_status_list"], info["multi_key_disabled_reason"] = {}, {}
            values["channel_info"] = orjson.dumps(info).decode()
        done = s.exec(
            update(Channel)
            .where(col(Channel.id) == channel_id, col(Channel.status) == ChannelStatus.AUTO_DISABLED)
            .values(**values)
        ).rowcount
        if not done:
            return False
        abilities.set_enabled(s, [channel_id], True)
        name = c.name
    channel_cache.reload()
    activity_log.record(0, "", LogType.SYSTEM, f"通道「{name}」（#{channel_id}）已被启用",
                        other={"event": "channel_enabled", "channel_id": channel_id, "channel_name": name})
    notify.notify_root(notify.CHANNEL_UPDATE, f"通道「{name}」（#{channel_id}）已被启用",
                       f"通道「{name}」（#{channel_id}）已被启用")
    return True


async def auto_disable(channel_id: int, reason: str, key: str | None = None) -> bool:
    """Disable a channel whose upstream rejected its key or account (option and auto_ban
    permitting). Pass the key that failed so a multi-key channel loses only that key."""
    if not options.get_bool("AutomaticDisableChannelEnabled"):
        return False
    try:
        return await asyncio.to_thread(disable_now, channel_id, reason, key)
    except Exception:  # called fire-and-forget from the relay: never let it surface there
        log.exception("auto-disable of channel #%s failed", channel_id)
        return False


async def auto_enable(channel_id: int) -> bool:
    if not options.get_bool("AutomaticEnableChannelEnabled"):
        return False
    return await asyncio.to_thread(enable_now, channel_id)

