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

from backend.cache import channels as channel_cache
from backend.cache.channels import parse_json_object
from backend.db import session_scope
from backend.models import Channel
from backend.models.enums import ChannelStatus, LogType
from backend.services import abilities, activity_log, options

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


def disable_now(channel_id: int, reason: str) -> bool:
    """Set an enabled channel to auto-disabled (3). Returns False when it was not enabled any
    more (another request got there first, or an admin switched it off by hand)."""
    with session_scope() as s:
        c = s.get(Channel, channel_id)
        if c is None or c.status != ChannelStatus.ENABLED or (c.auto_ban if c.auto_ban is not None else 1) != 1:
            return False
        done = s.execute(
            update(Channel)
            .where(Channel.id == channel_id, Channel.status == ChannelStatus.ENABLED)
            .values(status=int(ChannelStatus.AUTO_DISABLED), other_info=_with_reason(c.other_info, reason))
        ).rowcount
        if not done:
            return False
        abilities.set_enabled(s, [channel_id], False)
        name = c.name
    channel_cache.reload()
    activity_log.record(0, "", LogType.SYSTEM, f"通道「{name}」（#{channel_id}）已被禁用，原因：{reason[:500]}")
    log.warning("channel #%s (%s) auto-disabled: %s", channel_id, name, reason[:200])
    return True


def enable_now(channel_id: int, reason: str = "test passed") -> bool:
    """Re-enable a channel the system disabled (status 3 only: a manual disable stays)."""
    with session_scope() as s:
        c = s.get(Channel, channel_id)
        if c is None or c.status != ChannelStatus.AUTO_DISABLED:
            return False
        done = s.execute(
            update(Channel)
            .where(Channel.id == channel_id, Channel.status == ChannelStatus.AUTO_DISABLED)
            .values(status=int(ChannelStatus.ENABLED), other_info=_with_reason(c.other_info, reason))
        ).rowcount
        if not done:
            return False
        abilities.set_enabled(s, [channel_id], True)
        name = c.name
    channel_cache.reload()
    activity_log.record(0, "", LogType.SYSTEM, f"通道「{name}」（#{channel_id}）已被启用")
    return True


async def auto_disable(channel_id: int, reason: str) -> bool:
    """Disable a channel whose upstream rejected its key or account (option and auto_ban permitting)."""
    if not options.get_bool("AutomaticDisableChannelEnabled"):
        return False
    try:
        return await asyncio.to_thread(disable_now, channel_id, reason)
    except Exception:  # called fire-and-forget from the relay: never let it surface there
        log.exception("auto-disable of channel #%s failed", channel_id)
        return False


async def auto_enable(channel_id: int) -> bool:
    if not options.get_bool("AutomaticEnableChannelEnabled"):
        return False
    return await asyncio.to_thread(enable_now, channel_id)

