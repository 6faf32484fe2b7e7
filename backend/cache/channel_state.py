"""Routing state that lives between requests: channel cooldowns and multi-key polling positions.

Both are in process memory on a single instance. With REDIS_CONN_STRING every instance shares them,
so a channel one node saw fail is rested by all of them, and a `polling` channel's keys are taken
in turn across the whole fleet rather than once per process:

- **Cooldown.** `pick` must do no I/O, so each process keeps the cooldowns in a local map and reads
  only that. `cool_down` writes the end time into the sorted set `newapi:channel_cooldown`
  (member = channel id, score = end in epoch ms) and announces it on the bus in one Lua script
  (atomic: the set keeps the later end of two racing writes, `ZADD GT`, and no listener hears of a
  cooldown the set does not hold). Other instances apply the notice; a process that starts, or
  missed notices while Redis was away, reads the set (`load`: at start-up and every
  SYNC_FREQUENCY). Ends are wall-clock times, so instances need synchronised clocks (NTP).
- **Polling.** The next key's position is `INCR newapi:multi_key_poll:<channel id>`, one atomic
  round trip per call on a polling channel only (new-api keeps it per process).

Redis failing never fails a call: the local state answers until it is back.
"""

from __future__ import annotations

import logging
import time

from backend import lifecycle
from backend.cache import bus
from backend.cache.redis_client import async_eval, get_async_redis

log = logging.getLogger("newapi.channels")

COOLDOWN_KEY = "newapi:channel_cooldown"
POLL_KEY = "newapi:multi_key_poll:{}"
POLL_TTL = 86_400  # an idle channel's position is forgotten after a day (it only decides who is next)
KIND = "channel_cooldown"  # the bus notice: "<channel id>:<end in epoch ms>"

# KEYS: the set, the bus channel. ARGV: channel id, end (ms), now (ms), the bus message.
_COOL = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[3])
redis.call('ZADD', KEYS[1], 'GT', ARGV[2], ARGV[1])
redis.call('PUBLISH', KEYS[2], ARGV[4])
return 1
"""

_cooling: dict[int, float] = {}  # channel id -> time.time() at which its cooldown ends
_polling: dict[int, int] = {}  # channel id -> the next key's position (no Redis)


def _note(channel_id: int, until: float) -> None:
    """Keep the later end (a racing, shorter cooldown never cuts a longer one short)."""
    now = time.time()
    if len(_cooling) > 64:  # keep the map small: drop ended cooldowns
        for cid in [c for c, end in _cooling.items() if end <= now]:
            del _cooling[cid]
    if until > now and until > _cooling.get(channel_id, 0.0):
        _cooling[channel_id] = until


def cooling_ids() -> set[int] | None:
    """Channels resting now, or None when none is (the common case costs one truth test)."""
    if not _cooling:
        return None
    now = time.time()
    return {cid for cid, end in _cooling.items() if end > now} or None


def cooling(channel_id: int) -> bool:
    return _cooling.get(channel_id, 0.0) > time.time()


async def cool_down(channel_id: int, seconds: float) -> None:
    """Pass this channel over for `seconds` while its tier has other channels: it just failed in a
    way that may pass (5xx, 429, unreachable). It comes back by itself when the time is up; a
    channel alone in its tier is still used meanwhile. Shared with every instance through Redis."""
    if seconds <= 0:
        return
    now = time.time()
    until = now + seconds
    _note(channel_id, until)
    client = get_async_redis()
    if client is None:
        return
    until_ms, now_ms = int(until * 1000), int(now * 1000)
    message = bus.encode(KIND, f"{channel_id}:{until_ms}")
    try:
        await async_eval(client, _COOL, 2, COOLDOWN_KEY, bus.channel(), channel_id, until_ms, now_ms, message)
    except Exception:  # this node rests the channel anyway; the others learn of the next failure
        log.warning("could not share the cooldown of channel #%s through Redis", channel_id, exc_info=True)


def _on_notice(value: str) -> None:
    channel_id, _, until_ms = value.partition(":")
    try:
        _note(int(channel_id), int(until_ms) / 1000)
    except ValueError:
        log.warning("ignored a malformed cooldown notice %r", value)


bus.subscribe(KIND, _on_notice)


async def load() -> None:
    """Take in the cooldowns other instances set (start-up, and the periodic channel refresh)."""
    client = get_async_redis()
    if client is None:
        return
    try:
        rows = await client.zrangebyscore(COOLDOWN_KEY, int(time.time() * 1000), "+inf", withscores=True)
    except Exception:
        log.warning("could not read channel cooldowns from Redis", exc_info=True)
        return
    for member, score in rows:
        _note(int(member), float(score) / 1000)


async def next_position(channel_id: int) -> int:
    """The position of the key a `polling` channel uses next (0, 1, 2, ... taken modulo the keys)."""
    client = get_async_redis()
    if client is not None:
        key = POLL_KEY.format(channel_id)
        try:
            async with client.pipeline(transaction=True) as pipe:
                pipe.incr(key)
                pipe.expire(key, POLL_TTL)
                taken, _ = await pipe.execute()
            return int(taken) - 1
        except Exception:  # fall back to this process's turn-taking until Redis is back
            log.warning("could not take the polling position of channel #%s from Redis", channel_id, exc_info=True)
    position = _polling.get(channel_id, 0)
    _polling[channel_id] = position + 1
    return position


@lifecycle.on_startup
async def _start() -> None:
    await load()


@lifecycle.on_reset
def _reset() -> None:
    _cooling.clear()
    _polling.clear()
