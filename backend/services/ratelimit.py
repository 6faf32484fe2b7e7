"""Per-IP sliding-window rate limits for the management API (new-api's GlobalAPI and Critical limits).

One window per (scope, ip): at most `limit` hits in the last `duration` seconds. Kept in process
memory, or in Redis (sorted set per key, one atomic Lua call) when REDIS_CONN_STRING is set, so
every node of a cluster shares the count.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import deque

from backend import lifecycle
from backend.cache.redis_client import get_sync_redis

_lock = threading.Lock()
_windows: dict[str, deque[float]] = {}

# KEYS[1] window key; ARGV: now, duration, limit, member. Returns 1 if the hit is allowed.
_LUA = """
local key = KEYS[1]
local now = tonumber(ARGV[1])
local duration = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', key, '-inf', now - duration)
if redis.call('ZCARD', key) >= tonumber(ARGV[3]) then
  return 0
end
redis.call('ZADD', key, now, ARGV[4])
redis.call('EXPIRE', key, math.ceil(duration) + 1)
return 1
"""


def allow(scope: str, ip: str, limit: int, duration: int, now: float | None = None) -> bool:
    """Record one hit and say whether it is within the limit. A refused hit is not counted."""
    if limit <= 0:
        return False
    now = time.time() if now is None else now
    key = f"rateLimit:{scope}{ip}"
    client = get_sync_redis()
    if client is not None:
        return bool(client.eval(_LUA, 1, key, now, duration, limit, uuid.uuid4().hex))
    with _lock:
        window = _windows.setdefault(key, deque())
        while window and window[0] <= now - duration:
            window.popleft()
        if len(window) >= limit:
            return False
        window.append(now)
        return True


@lifecycle.on_reset
def reset() -> None:
    with _lock:
        _windows.clear()
