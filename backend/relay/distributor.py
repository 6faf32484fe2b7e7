"""Which channel (and which of its keys) serves one attempt of a relay call."""

from __future__ import annotations

import random
from dataclasses import dataclass

from backend.cache import channels
from backend.cache.channels import ChannelInfo
from backend.relay.errors import forbidden, no_channel

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


def choose_key(channel: ChannelInfo) -> str:
    if not channel.keys:
        return ""
    return channel.keys[0] if len(channel.keys) == 1 else _rng.choice(channel.keys)


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


def route(group: str, model: str, attempt: int, exclude: frozenset[int], pinned: int | None) -> Route:
    channel = select(group, model, attempt, exclude, pinned)
    return Route(channel=channel, key=choose_key(channel), upstream_model=upstream_model(channel, model))

