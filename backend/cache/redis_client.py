"""Shared Redis clients (REDIS_CONN_STRING). None when Redis is not configured."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any, cast

import redis
import redis.asyncio as aioredis

from backend import lifecycle
from backend.config import get_settings

_sync: redis.Redis | None = None
_async: aioredis.Redis | None = None


def enabled() -> bool:
    return bool(get_settings().REDIS_CONN_STRING)


def get_sync_redis() -> redis.Redis | None:
    """For service code, which runs in worker threads."""
    global _sync
    if _sync is None and enabled():
        s = get_settings()
        _sync = redis.Redis.from_url(s.REDIS_CONN_STRING, max_connections=max(s.REDIS_POOL_SIZE, 10))
    return _sync


# redis-py types a sync client's replies as `Awaitable | Any`; these clients do not decode, so a
# string read is bytes or None.
def sync_get(client: redis.Redis, key: str) -> bytes | None:
    return cast(bytes | None, client.get(key))


def sync_getdel(client: redis.Redis, key: str) -> bytes | None:
    return cast(bytes | None, client.getdel(key))


async def async_eval(client: aioredis.Redis, script: str, numkeys: int, *keys_and_args: Any) -> Any:
    """EVAL on the asyncio client: redis-py annotates eval once for both clients (`Awaitable | str`)."""
    return await cast(Awaitable[Any], client.eval(script, numkeys, *keys_and_args))


def get_async_redis() -> aioredis.Redis | None:
    """For the relay's event loop."""
    global _async
    if _async is None and enabled():
        s = get_settings()
        _async = aioredis.Redis.from_url(s.REDIS_CONN_STRING, max_connections=max(s.REDIS_POOL_SIZE, 10) * 4)
    return _async


@lifecycle.on_shutdown
async def close() -> None:
    global _sync, _async
    if _async is not None:
        await _async.aclose()
    if _sync is not None:
        _sync.close()
    _sync = _async = None


@lifecycle.on_reset
def _reset() -> None:
    global _sync, _async
    if _sync is not None:
        _sync.close()
    _sync = _async = None  # an async client belongs to a loop that may be gone; drop it
