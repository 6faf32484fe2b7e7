"""Checks of channels' upstream model lists (`/api/channel/upstream_updates/detect[_all]`): the
list comes from the channel's own listing endpoint (`channel_balance.fetch_channel_models`), the
bookkeeping from `services/upstream_models.py`."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from backend.relay import channel_balance
from backend.services import upstream_models
from backend.services.errors import ServiceError

log = logging.getLogger("newapi.channels")


async def detect(channel_id: int, *, auto_apply: bool = False) -> upstream_models.Detection:
    """Fetch the channel's upstream list and store the differences; a failed fetch still records
    the check time and is raised to the caller."""
    await asyncio.to_thread(upstream_models.load, channel_id)  # 404 before any outbound call
    try:
        listed = await channel_balance.fetch_channel_models(channel_id)
    except ServiceError:
        await asyncio.to_thread(upstream_models.record_detection, channel_id, None)
        raise
    return await asyncio.to_thread(
        upstream_models.record_detection, channel_id, listed, auto_apply=auto_apply
    )


async def detect_all() -> dict[str, Any]:
    """Every enabled channel with the check on, checked now; changes are staged, never applied."""
    checked = changed = added = removed = 0
    failed: list[int] = []
    for channel_id in await asyncio.to_thread(upstream_models.checked_channel_ids):
        checked += 1
        try:
            found = await detect(channel_id)
        except ServiceError as exc:
            failed.append(channel_id)
            log.info("upstream model check of channel #%s failed: %s", channel_id, exc.message)
            continue
        added += len(found.add_models)
        removed += len(found.remove_models)
        changed += bool(found.add_models or found.remove_models)
    return {
        "checked_channels": checked,
        "changed_channels": changed,
        "detected_add_models": added,
        "detected_remove_models": removed,
        "failed_channels": len(failed),
        "failed_channel_ids": failed,
        "auto_added_models": 0,
    }
