"""Per-user request limits on the relay: new-api's ModelRequestRateLimit* options.

Within every `ModelRequestRateLimitDurationMinutes` window, per user:
- `ModelRequestRateLimitCount` requests at most, failures included (0 = no limit). A request
  that passes this check is counted whatever happens next.
- `ModelRequestRateLimitSuccessCount` successful requests at most (0 = no limit). A request is
  admitted while recorded successes plus requests in flight stay under the limit (new-api's
  reservation: a burst of concurrent calls cannot all slip past the check), and is recorded as a
  success only if it ends below status 400.
- `ModelRequestRateLimitGroup` `{"group": [count, successCount]}` replaces both for the caller's
  group (the token's group, else the user's).
Both are sliding windows of timestamps (new-api's). In process memory on one instance; in Redis
when REDIS_CONN_STRING is set, so every instance shares the count: one Lua script checks and
records atomically, in sorted sets `rateLimit:MRRLZ:<uid>` (all), `rateLimit:MRRLSZ:<uid>`
(successes) and `rateLimit:MRRLSP:<uid>` (in flight). Not new-api's key names on purpose: its
keys are lists, and a Redis shared during a migration would answer WRONGTYPE.
"""

from __future__ import annotations

import math
import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from backend import lifecycle
from backend.cache.redis_client import get_async_redis
from backend.services import options

# A request in flight holds a success slot for at most this long: the slot of a node that died
# mid-request is freed then, not held for ever. Longer than any sane relay call.
RESERVATION_TTL = 900.0


@dataclass(frozen=True, slots=True)
class Limits:
    duration: int  # seconds
    total: int  # 0 = no limit
    success: int  # 0 = no limit
    minutes: int


@dataclass(frozen=True, slots=True)
class Refusal:
    message: str
    retry_after: int  # seconds until a slot frees up (at least 1)


def limits_for(group: str) -> Limits | None:
    """The limits that apply to a caller in `group`, or None when nothing is limited."""
    if not options.get_bool("ModelRequestRateLimitEnabled"):
        return None
    minutes = options.get_int("ModelRequestRateLimitDurationMinutes", 1)
    total = options.get_int("ModelRequestRateLimitCount")
    success = options.get_int("ModelRequestRateLimitSuccessCount", 1000)
    groups = options.get_json("ModelRequestRateLimitGroup")
    override = groups.get(group) if isinstance(groups, dict) else None
    if isinstance(override, list) and len(override) == 2 and all(isinstance(n, int) for n in override):
        total, success = override
    if minutes <= 0 or (total <= 0 and success <= 0):
        return None
    return Limits(duration=minutes * 60, total=max(total, 0), success=max(success, 0), minutes=minutes)


def _refusal(limits: Limits, which: str, wait: float) -> Refusal:
    if which == "total":
        message = (f"you have reached the total request limit: at most {limits.total} requests in "
                   f"{limits.minutes} minute(s), failed ones included; check that your requests are correct")
    else:
        message = f"you have reached the request limit: at most {limits.success} requests in {limits.minutes} minute(s)"
    return Refusal(message, max(1, math.ceil(wait)))


@dataclass(slots=True)
class Ticket:
    """One admitted request; `finish` records its outcome exactly once."""

    limiter: Any
    user_id: int
    limits: Limits
    reservation: str | None  # None when successes are not limited
    done: bool = field(default=False)

    async def finish(self, success: bool, now: float | None = None) -> None:
        if self.done or self.reservation is None:
            self.done = True
            return
        self.done = True
        await self.limiter.settle(self.user_id, self.limits, self.reservation, success,
                                  time.time() if now is None else now)


# ---- one process -------------------------------------------------------------------------------


class MemoryLimiter:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._total: dict[int, deque[float]] = {}
        self._success: dict[int, deque[float]] = {}
        self._pending: dict[int, dict[str, float]] = {}  # reservation -> expiry

    async def admit(self, user_id: int, limits: Limits, now: float | None = None) -> Ticket | Refusal:
        now = time.time() if now is None else now
        with self._lock:
            if limits.total > 0:
                window = self._total.setdefault(user_id, deque())
                while window and window[0] <= now - limits.duration:
                    window.popleft()
                if len(window) >= limits.total:
                    return _refusal(limits, "total", window[0] + limits.duration - now)
                window.append(now)
            if limits.success <= 0:
                return Ticket(self, user_id, limits, None)
            done = self._success.setdefault(user_id, deque())
            while done and done[0] <= now - limits.duration:
                done.popleft()
            pending = self._pending.setdefault(user_id, {})
            for rid in [r for r, expiry in pending.items() if expiry <= now]:
                del pending[rid]
            if len(done) + len(pending) >= limits.success:
                return _refusal(limits, "success", done[0] + limits.duration - now if done else 1)
            rid = uuid.uuid4().hex
            pending[rid] = now + RESERVATION_TTL
            return Ticket(self, user_id, limits, rid)

    async def settle(self, user_id: int, limits: Limits, reservation: str, success: bool, now: float) -> None:
        with self._lock:
            self._pending.get(user_id, {}).pop(reservation, None)
            if success:
                self._success.setdefault(user_id, deque()).append(now)


# ---- every instance, through Redis -------------------------------------------------------------

# KEYS: total, success, pending. ARGV: now, duration, total max, success max, member, reservation ttl.
# Returns {0, ''} when admitted, else {1 (total) | 2 (success), seconds to wait}.
_ADMIT = """
local now, dur = tonumber(ARGV[1]), tonumber(ARGV[2])
local tmax, smax, ttl = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[6])
if tmax > 0 then
  redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - dur)
  if redis.call('ZCARD', KEYS[1]) >= tmax then
    local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
    return {1, tostring(tonumber(oldest[2]) + dur - now)}
  end
  redis.call('ZADD', KEYS[1], now, ARGV[5])
  redis.call('EXPIRE', KEYS[1], math.ceil(dur) + 1)
end
if smax > 0 then
  redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now - dur)
  redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now)
  if redis.call('ZCARD', KEYS[2]) + redis.call('ZCARD', KEYS[3]) >= smax then
    local oldest = redis.call('ZRANGE', KEYS[2], 0, 0, 'WITHSCORES')
    local wait = 1
    if oldest[2] then wait = tonumber(oldest[2]) + dur - now end
    return {2, tostring(wait)}
  end
  redis.call('ZADD', KEYS[3], now + ttl, ARGV[5])
  redis.call('EXPIRE', KEYS[3], math.ceil(ttl) + 1)
end
return {0, ''}
"""

# KEYS: success, pending. ARGV: now, duration, member, 1 if the request succeeded.
_SETTLE = """
redis.call('ZREM', KEYS[2], ARGV[3])
if ARGV[4] == '1' then
  redis.call('ZADD', KEYS[1], tonumber(ARGV[1]), ARGV[3])
  redis.call('EXPIRE', KEYS[1], math.ceil(tonumber(ARGV[2])) + 1)
end
return 1
"""


def _keys(user_id: int) -> list[str]:
    return [f"rateLimit:MRRLZ:{user_id}", f"rateLimit:MRRLSZ:{user_id}", f"rateLimit:MRRLSP:{user_id}"]


class RedisLimiter:
    def __init__(self, client: Any) -> None:
        self.client = client
        self._admit = client.register_script(_ADMIT)
        self._settle = client.register_script(_SETTLE)

    async def admit(self, user_id: int, limits: Limits, now: float | None = None) -> Ticket | Refusal:
        now = time.time() if now is None else now
        member = uuid.uuid4().hex
        verdict, wait = await self._admit(
            keys=_keys(user_id), args=[now, limits.duration, limits.total, limits.success, member, RESERVATION_TTL]
        )
        if int(verdict) == 1:
            return _refusal(limits, "total", float(wait))
        if int(verdict) == 2:
            return _refusal(limits, "success", float(wait))
        return Ticket(self, user_id, limits, member if limits.success > 0 else None)

    async def settle(self, user_id: int, limits: Limits, reservation: str, success: bool, now: float) -> None:
        _, success_key, pending_key = _keys(user_id)
        await self._settle(keys=[success_key, pending_key], args=[now, limits.duration, reservation, "1" if success else "0"])


# ---- the instance the relay uses ---------------------------------------------------------------

_limiter: MemoryLimiter | RedisLimiter | None = None
_memory = MemoryLimiter()


def get_limiter() -> MemoryLimiter | RedisLimiter:
    """Redis when configured (shared by every instance), else this process's memory."""
    global _limiter
    if _limiter is None:
        client = get_async_redis()
        _limiter = RedisLimiter(client) if client is not None else _memory
    return _limiter


async def admit(user_id: int, group: str) -> Ticket | Refusal | None:
    """None when no limit applies; a Refusal (429) or a Ticket to `finish` when the call ends."""
    limits = limits_for(group)
    if limits is None:
        return None
    return await get_limiter().admit(user_id, limits)


@lifecycle.on_reset
def _reset() -> None:
    global _limiter, _memory
    _limiter, _memory = None, MemoryLimiter()
