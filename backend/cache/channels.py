"""The routing snapshot: every enabled channel and the (group, model) -> priority tiers index.

The relay picks a channel on every request, so `pick` must do no I/O: the whole table set is read
in one go (at start-up, after every channel write, on a change from another node, and every
SYNC_FREQUENCY seconds as a safety net) and swapped in as one immutable object. Readers always see
either the old or the new snapshot, never a half-built one.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import threading
from bisect import bisect_right
from dataclasses import dataclass, field
from typing import Any

import orjson
from sqlmodel import select

from backend import lifecycle
from backend.cache import bus, channel_state
from backend.config import get_settings
from backend.db import session_scope
from backend.models import Ability, Channel
from backend.models.enums import ChannelStatus

log = logging.getLogger("newapi.channels")


def parse_json_object(raw: str | None) -> dict[str, Any]:
    """A stored JSON column as a dict; blank or broken values count as empty (they were validated on write)."""
    if not raw or not raw.strip():
        return {}
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return {}
    return value if isinstance(value, dict) else {}


def split_csv(raw: str | None) -> tuple[str, ...]:
    """A comma-separated column as a tuple, blanks and duplicates dropped, order kept."""
    seen: dict[str, None] = {}
    for part in (raw or "").split(","):
        part = part.strip()
        if part:
            seen.setdefault(part, None)
    return tuple(seen)


def split_keys(raw: str | None) -> tuple[str, ...]:
    """Keys are one per line, except JSON credentials (Vertex AI service accounts): an object is
    one key, an array holds one key per element."""
    text = (raw or "").strip()
    if text.startswith("{"):
        return (text,)
    if text.startswith("["):
        try:
            items = orjson.loads(text)
        except orjson.JSONDecodeError:
            items = None
        if isinstance(items, list):
            return tuple(i if isinstance(i, str) else orjson.dumps(i).decode() for i in items if i)
    return tuple(k.strip() for k in text.split("\n") if k.strip())


def active_keys(raw_key: str | None, channel_info: str | None) -> tuple[str, ...]:
    """A multi-key channel's keys minus those auto-disabled one by one (`multi_key_status_list`,
    index -> status); if that would leave none, all of them (the channel status decides then)."""
    keys = split_keys(raw_key)
    info = parse_json_object(channel_info)
    statuses = info.get("multi_key_status_list") if info.get("is_multi_key") else None
    if not isinstance(statuses, dict) or not statuses:
        return keys
    active = tuple(k for i, k in enumerate(keys) if str(statuses.get(str(i), 1)) == "1")
    return active or keys


@dataclass(frozen=True, slots=True)
class ChannelInfo:
    """Immutable snapshot of a channel row, JSON columns parsed, keys split on newlines."""

    id: int
    type: int
    name: str
    status: int
    keys: tuple[str, ...]
    base_url: str
    other: str
    models: tuple[str, ...]
    groups: tuple[str, ...]
    priority: int
    weight: int
    auto_ban: int
    openai_organization: str
    tag: str
    model_mapping: dict[str, Any] = field(default_factory=dict)
    status_code_mapping: dict[str, Any] = field(default_factory=dict)
    param_override: dict[str, Any] = field(default_factory=dict)
    header_override: dict[str, Any] = field(default_factory=dict)
    setting: dict[str, Any] = field(default_factory=dict)
    test_model: str = ""
    multi_key_mode: str = ""  # a multi-key channel's `channel_info.multi_key_mode`: random | polling

    @classmethod
    def from_row(cls, row: Channel) -> ChannelInfo:
        return cls(
            id=int(row.id or 0),
            type=int(row.type or 0),
            name=row.name or "",
            status=int(row.status or 0),
            keys=active_keys(row.key, row.channel_info),
            base_url=(row.base_url or "").strip().rstrip("/"),
            other=row.other or "",
            models=split_csv(row.models),
            groups=split_csv(row.group) or ("default",),
            priority=int(row.priority or 0),
            weight=max(int(row.weight or 0), 0),
            auto_ban=1 if row.auto_ban is None else int(row.auto_ban),
            openai_organization=row.openai_organization or "",
            tag=row.tag or "",
            model_mapping=parse_json_object(row.model_mapping),
            status_code_mapping=parse_json_object(row.status_code_mapping),
            param_override=parse_json_object(row.param_override),
            header_override=parse_json_object(row.header_override),
            setting=parse_json_object(row.setting),
            test_model=row.test_model or "",
            multi_key_mode=_multi_key_mode(row.channel_info),
        )


def _multi_key_mode(channel_info: str | None) -> str:
    info = parse_json_object(channel_info)
    mode = info.get("multi_key_mode") if info.get("is_multi_key") else None
    return mode if isinstance(mode, str) else ""


@dataclass(frozen=True, slots=True)
class _Tier:
    """Channels sharing one priority for a (group, model), with cumulative `weight + 10` sums."""

    priority: int
    channels: tuple[ChannelInfo, ...]
    cumulative: tuple[int, ...]

    def choose(self, rng: random.Random, exclude: frozenset[int]) -> ChannelInfo:
        resting = channel_state.cooling_ids()
        if resting:  # channels that failed moments ago wait, while the tier has others
            exclude = exclude | resting
        if exclude and any(c.id in exclude for c in self.channels):
            rest = [c for c in self.channels if c.id not in exclude]
            if rest:  # every channel failed already: retry within the full tier rather than give up
                return _weighted(rng, rest)
        r = rng.randrange(self.cumulative[-1])
        return self.channels[bisect_right(self.cumulative, r)]


def _weighted(rng: random.Random, channels: list[ChannelInfo]) -> ChannelInfo:
    total = sum(c.weight + 10 for c in channels)
    r = rng.randrange(total)
    for c in channels:
        r -= c.weight + 10
        if r < 0:
            return c
    return channels[-1]


@dataclass(frozen=True, slots=True)
class _Snapshot:
    by_id: dict[int, ChannelInfo]
    tiers: dict[tuple[str, str], tuple[_Tier, ...]]  # priorities descending
    group_models: dict[str, tuple[str, ...]]


def _build(channels: list[Channel], abilities: list[Ability]) -> _Snapshot:
    by_id = {int(c.id or 0): ChannelInfo.from_row(c) for c in channels if c.status == ChannelStatus.ENABLED}
    # (group, model) -> priority -> channels; the ability row carries the routing priority/weight
    index: dict[tuple[str, str], dict[int, list[tuple[ChannelInfo, int]]]] = {}
    for a in abilities:
        info = by_id.get(a.channel_id)
        if info is None or not a.enabled:
            continue
        prio = int(a.priority or 0)
        index.setdefault((a.group, a.model), {}).setdefault(prio, []).append((info, max(int(a.weight or 0), 0)))
    tiers: dict[tuple[str, str], tuple[_Tier, ...]] = {}
    group_models: dict[str, set[str]] = {}
    for (group, model), by_prio in index.items():
        built = []
        for prio in sorted(by_prio, reverse=True):
            members = sorted(by_prio[prio], key=lambda m: m[0].id)
            cumulative, running = [], 0
            for _info, weight in members:
                running += weight + 10
                cumulative.append(running)
            built.append(_Tier(prio, tuple(m[0] for m in members), tuple(cumulative)))
        tiers[(group, model)] = tuple(built)
        group_models.setdefault(group, set()).add(model)
    return _Snapshot(by_id, tiers, {g: tuple(sorted(ms)) for g, ms in group_models.items()})


_snapshot: _Snapshot | None = None
_load_lock = threading.Lock()
_rng = random.Random()
_local = threading.local()
_refresher: asyncio.Task | None = None


def _load() -> None:
    """Read channels and abilities and swap the snapshot in."""
    global _snapshot
    with _load_lock:
        with session_scope() as s:
            channels = list(s.exec(select(Channel).where(Channel.status == ChannelStatus.ENABLED)).all())
            abilities = list(s.exec(select(Ability).where(Ability.enabled == True)).all())  # noqa: E712
        _snapshot = _build(channels, abilities)


def _current() -> _Snapshot:
    snap = _snapshot
    if snap is None:  # first use before start-up ran (CLI, tests): load once
        _load()
        snap = _snapshot
    assert snap is not None
    return snap


def seed(value: int) -> None:
    """Make the weighted choice reproducible (tests)."""
    _rng.seed(value)


def pick(group: str, model: str, retry: int = 0, exclude: frozenset[int] = frozenset()) -> ChannelInfo | None:
    """An enabled channel for (group, model): tier `retry` (clamped to the lowest), weighted by weight+10.

    `exclude` holds channels that already failed in this request; they are skipped unless the tier
    holds nothing else.
    """
    tiers = _current().tiers.get((group, model))
    if not tiers:
        return None
    tier = tiers[min(max(retry, 0), len(tiers) - 1)]
    return tier.choose(_rng, exclude)


def get_channel(channel_id: int) -> ChannelInfo | None:
    """An enabled channel by id (disabled and deleted ones are None)."""
    return _current().by_id.get(channel_id)


def models_for_group(group: str) -> list[str]:
    """Models with at least one enabled channel in this group, sorted."""
    return list(_current().group_models.get(group, ()))


def priorities(group: str, model: str) -> list[int]:
    """The distinct priorities for (group, model), highest first (how many retries can step down)."""
    return [t.priority for t in _current().tiers.get((group, model), ())]


def members(group: str, model: str) -> frozenset[int]:
    """Ids of the enabled channels serving (group, model), every tier."""
    return frozenset(c.id for t in _current().tiers.get((group, model), ()) for c in t.channels)


def reload() -> None:
    """Reload after a channel or ability write, and tell the other nodes."""
    _load()
    _local.publishing = True
    try:
        bus.publish("channels")
    finally:
        _local.publishing = False


def _on_change(_key: str) -> None:
    if getattr(_local, "publishing", False):  # our own publish: `reload` has just loaded
        return
    _load()


bus.subscribe("channels", _on_change)


async def _refresh_forever() -> None:
    interval = max(get_settings().SYNC_FREQUENCY, 1)
    while True:
        await asyncio.sleep(interval)
        try:
            await asyncio.to_thread(_load)
        except Exception:
            log.warning("channel cache refresh failed", exc_info=True)
        await channel_state.load()  # cooldown notices missed while Redis was unreachable


@lifecycle.on_startup
async def _start() -> None:
    global _refresher
    await asyncio.to_thread(_load)
    if _refresher is None:
        _refresher = asyncio.create_task(_refresh_forever(), name="newapi-channels-refresh")


@lifecycle.on_shutdown
async def _stop() -> None:
    global _refresher
    if _refresher is not None:
        _refresher.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await _refresher
        _refresher = None


@lifecycle.on_reset
def _reset() -> None:
    global _snapshot, _refresher
    _snapshot = None
    _refresher = None
