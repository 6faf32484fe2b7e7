"""Which channel (and which of its keys) serves one attempt of a relay call."""

from __future__ import annotations

import random
from dataclasses import dataclass

from backend.cache import channel_state, channels
from backend.cache.channels import ChannelInfo
from backend.relay.errors import forbidden, no_channel
from backend.services import groups

_rng = random.SystemRandom()


@dataclass(frozen=True, slots=True)
class Route:
    channel: ChannelInfo
    key: str
    upstream_model: str


def upstream_model(channel: ChannelInfo, model: str) -> str:
    """model_mapping is keyed by the client's model; only the upstream request sees the result."""
    mapped = channel.model_mapping.get(model)
    return mapped.strip() if isinstance(mapped, str) and mapped.strip() else model


async def choose_key(channel: ChannelInfo) -> str:
    """A multi-key channel's `polling` mode takes its enabled keys in turn (across instances when
    Redis is configured: `channel_state.next_position`); any other channel with several keys picks
    at random."""
    keys = channel.keys
    if not keys:
        return ""
    if len(keys) == 1:
        return keys[0]
    if channel.multi_key_mode == "polling":
        return keys[await channel_state.next_position(channel.id) % len(keys)]
    return _rng.choice(keys)


def auto_route(group: str, user_group: str, model: str) -> tuple[str, ...]:
    """The groups a call may run (and is billed) in, in order: for `auto`, those of the user's
    AutoGroups with a channel for the model (new-api's order; a retry moves to the next one when
    the channels of the current one are exhausted), else the group alone."""
    if group != groups.AUTO:
        return (group,)
    candidates = tuple(g for g in groups.auto_groups(user_group) if channels.priorities(g, model))
    if not candidates:
        raise no_channel(model, group)
    return candidates


def resolve_group(group: str, user_group: str, model: str) -> str:
    """The group a call starts in: for `auto`, the first usable AutoGroup with a channel for the model."""
    return auto_route(group, user_group, model)[0]


def exhausted(group: str, model: str, failed: set[int]) -> bool:
    """Every channel of `group` serving `model` has failed in this call (an `auto` call moves on)."""
    return channels.members(group, model) <= failed


def models_for(group: str, user_group: str) -> list[str]:
    """Models a group can route; for `auto`, those of any of the user's AutoGroups."""
    if group != groups.AUTO:
        return channels.models_for_group(group)
    return sorted({m for g in groups.auto_groups(user_group) for m in channels.models_for_group(g)})


def select(group: str, model: str, attempt: int, exclude: frozenset[int], pinned: int | None) -> ChannelInfo:
    """Attempt `attempt` walks down the priority tiers; a pinned channel is the only candidate."""
    if pinned is not None:
        channel = channels.get_channel(pinned)
        if channel is None:
            raise forbidden(f"channel #{pinned} does not exist or is disabled", code="channel_unavailable")
        return channel
    channel = channels.pick(group, model, retry=attempt, exclude=exclude)
    if channel is None:
        raise no_channel(model, group)
    return channel


async def route(group: str, model: str, attempt: int, exclude: frozenset[int], pinned: int | None) -> Route:
    channel = select(group, model, attempt, exclude, pinned)
    return Route(channel=channel, key=await choose_key(channel), upstream_model=upstream_model(channel, model))

