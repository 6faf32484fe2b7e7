"""Upstream model updates of a channel (`/api/channel/upstream_updates/*`): which models the
upstream lists that the channel lacks, which the channel serves that the upstream dropped, and the
admin's choice of what to add, remove or ignore.

The state lives where new-api keeps it, in the channel's `settings` JSON
(`upstream_model_update_*` keys), so a database moved between the two keeps its pending changes.
The list itself is fetched by the relay (`relay/upstream_updates.py`); everything here is the
bookkeeping on rows and pure list arithmetic.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from typing import Any

import orjson
from sqlmodel import col, select

from backend.cache import channels as channel_cache
from backend.cache.channels import parse_json_object, split_csv
from backend.db import session_scope
from backend.models import Channel
from backend.models.enums import ChannelStatus
from backend.services import abilities
from backend.services.errors import NotFound, ServiceError, msg

CHECK = "upstream_model_update_check_enabled"
AUTO_SYNC = "upstream_model_update_auto_sync_enabled"
LAST_CHECK = "upstream_model_update_last_check_time"
DETECTED = "upstream_model_update_last_detected_models"
REMOVED = "upstream_model_update_last_removed_models"
IGNORED = "upstream_model_update_ignored_models"
REGEX_PREFIX = "regex:"


# ---- list arithmetic (order kept, first occurrence wins) ----------------------------------------


def normalize(names: list[Any] | None) -> list[str]:
    out: list[str] = []
    for name in names or []:
        text = str(name).strip() if name is not None else ""
        if text and text not in out:
            out.append(text)
    return out


def merge(base: list[str], extra: list[str]) -> list[str]:
    return normalize([*normalize(base), *normalize(extra)])


def subtract(base: list[str], removed: list[str]) -> list[str]:
    gone = set(normalize(removed))
    return [n for n in normalize(base) if n not in gone]


def intersect(base: list[str], allowed: list[str]) -> list[str]:
    keep = set(normalize(allowed))
    return [n for n in normalize(base) if n in keep]


def _ignored(name: str, ignored: list[str]) -> bool:
    for rule in ignored:
        if rule.startswith(REGEX_PREFIX):
            try:
                if re.search(rule[len(REGEX_PREFIX) :].strip(), name):
                    return True
            except re.error:
                continue
        elif rule == name:
            return True
    return False


def pending_changes(
    local: list[str], upstream: list[str], ignored: list[str], mapping: dict[str, str]
) -> tuple[list[str], list[str]]:
    """(to add, to remove) as new-api counts them: an upstream model is covered when the channel
    lists it or a mapping points at it; a mapped alias is never proposed for removal."""
    local, upstream, ignored = normalize(local), normalize(upstream), normalize(ignored)
    covered = set(local) | set(mapping.values())
    add = [m for m in upstream if m not in covered and not _ignored(m, ignored)]
    listed = set(upstream)
    remove = [m for m in local if m not in mapping and m not in listed]
    return add, remove


# ---- channel rows ---------------------------------------------------------------------------------


def settings_of(row: Channel) -> dict[str, Any]:
    return parse_json_object(row.other_settings)


def mapping_of(row: Channel) -> dict[str, str]:
    out: dict[str, str] = {}
    for source, target in parse_json_object(row.model_mapping).items():
        if isinstance(target, str) and source.strip() and target.strip():
            out[source.strip()] = target.strip()
    return out


def models_of(row: Channel) -> list[str]:
    return list(split_csv(row.models))


def _save(row: Channel, settings: dict[str, Any], models: list[str] | None) -> bool:
    """Write the settings (and the models, rebuilding the routing rows, when they changed)."""
    row.other_settings = orjson.dumps(settings).decode()
    changed = models is not None and models != models_of(row)
    if changed:
        row.models = ",".join(models or [])
    return changed


def _get(s: Any, channel_id: int) -> Channel:
    if channel_id <= 0:
        raise ServiceError(msg("invalid channel id"))
    row = s.get(Channel, channel_id)
    if row is None:
        raise NotFound(msg("渠道不存在"))
    return row


def load(channel_id: int) -> Channel:
    with session_scope() as s:
        row = _get(s, channel_id)
        s.expunge(row)
        return row


@dataclass(frozen=True)
class Detection:
    channel_id: int
    channel_name: str
    add_models: list[str]
    remove_models: list[str]
    last_check_time: int
    auto_added_models: int = 0

    def view(self) -> dict[str, Any]:
        return {
            "channel_id": self.channel_id,
            "channel_name": self.channel_name,
            "add_models": self.add_models,
            "remove_models": self.remove_models,
            "last_check_time": self.last_check_time,
            "auto_added_models": self.auto_added_models,
        }


def record_detection(channel_id: int, upstream: list[str] | None, *, auto_apply: bool = False) -> Detection:
    """Store what a check found (`upstream` None: the fetch failed, only the check time moves).
    With `auto_apply` and the channel's auto-sync on, new models join the channel at once."""
    now = int(time.time())
    reload = False
    with session_scope() as s:
        row = _get(s, channel_id)
        settings = settings_of(row)
        settings[LAST_CHECK] = now
        auto_added = 0
        models: list[str] | None = None
        if upstream is not None:
            add, remove = pending_changes(
                models_of(row), upstream, normalize(settings.get(IGNORED)), mapping_of(row)
            )
            if auto_apply and settings.get(AUTO_SYNC) and add:
                models = merge(models_of(row), add)
                auto_added = len(models) - len(models_of(row))
                add = []
            settings[DETECTED], settings[REMOVED] = add, remove
        if _save(row, settings, models):
            abilities.rebuild(s, row)
            reload = True
        result = Detection(
            int(row.id or 0),
            row.name,
            normalize(settings.get(DETECTED)),
            normalize(settings.get(REMOVED)),
            now,
            auto_added,
        )
    if reload:
        channel_cache.reload()
    return result


def _apply(
    s: Any, row: Channel, add_in: list[str], remove_in: list[str], ignore_in: list[str]
) -> dict[str, Any]:
    settings = settings_of(row)
    pending_add, pending_remove = normalize(settings.get(DETECTED)), normalize(settings.get(REMOVED))
    add = intersect(add_in, pending_add)
    ignore = intersect(ignore_in, pending_add)
    remove = subtract(intersect(remove_in, pending_remove), add)  # add wins when both are chosen
    models = subtract(merge(models_of(row), add), remove)
    ignored = merge(normalize(settings.get(IGNORED)), ignore)
    settings[IGNORED] = subtract(ignored, add) if add else ignored
    remaining = subtract(pending_add, [*add, *ignore])
    remaining_remove = subtract(pending_remove, remove)
    settings[DETECTED], settings[REMOVED] = remaining, remaining_remove
    settings[LAST_CHECK] = int(time.time())
    changed = _save(row, settings, models)
    if changed:
        abilities.rebuild(s, row)
    return {
        "id": int(row.id or 0),
        "added_models": add,
        "removed_models": remove,
        "ignored_models": ignore,
        "remaining_models": remaining,
        "remaining_remove_models": remaining_remove,
        "models": row.models,
        "settings": row.other_settings,
        "_changed": changed,
    }


def apply(channel_id: int, add: list[str], remove: list[str], ignore: list[str]) -> dict[str, Any]:
    """Take the chosen models among the pending ones; a name not pending is left alone."""
    with session_scope() as s:
        result = _apply(s, _get(s, channel_id), add, remove, ignore)
    if result.pop("_changed"):
        channel_cache.reload()
    return result


def checked_channel_ids() -> list[int]:
    """Enabled channels whose upstream check is on (the scope of detect_all and apply_all)."""
    with session_scope() as s:
        rows = s.exec(
            select(Channel.id, Channel.other_settings)
            .where(Channel.status == ChannelStatus.ENABLED)
            .order_by(col(Channel.id))
        ).all()
    return [int(cid) for cid, raw in rows if parse_json_object(raw).get(CHECK)]


def apply_all() -> dict[str, Any]:
    """Every pending addition and removal of every checked channel, taken."""
    results: list[dict[str, Any]] = []
    failed: list[int] = []
    reload = False
    for channel_id in checked_channel_ids():
        try:
            with session_scope() as s:
                row = _get(s, channel_id)
                settings = settings_of(row)
                add, remove = normalize(settings.get(DETECTED)), normalize(settings.get(REMOVED))
                if not add and not remove:
                    continue
                out = _apply(s, row, add, remove, [])
                name = row.name
        except ServiceError:
            failed.append(channel_id)
            continue
        reload = reload or out["_changed"]
        results.append(
            {
                "channel_id": channel_id,
                "channel_name": name,
                "added_models": out["added_models"],
                "removed_models": out["removed_models"],
                "remaining_models": out["remaining_models"],
                "remaining_remove_models": out["remaining_remove_models"],
            }
        )
    if reload:
        channel_cache.reload()
    return {
        "processed_channels": len(results),
        "added_models": sum(len(r["added_models"]) for r in results),
        "removed_models": sum(len(r["removed_models"]) for r in results),
        "failed_channel_ids": failed,
        "results": results,
    }
