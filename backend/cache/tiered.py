"""One read-through cache in three tiers: this process's memory, Redis, then the database.

`TieredCache` is the shape the token and user caches share (and any later entity cache should
take): a bounded local store with a TTL per entry and brief negative entries, an optional Redis
copy shared by the instances, one database load for concurrent misses of the same key, and
invalidation that drops the Redis copy and tells every instance through the bus.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Generic, TypeVar

from backend.cache import bus
from backend.cache.lru import MISS, BoundedTTL
from backend.cache.redis_client import get_async_redis, get_sync_redis

log = logging.getLogger("newapi.cache")

K = TypeVar("K")
V = TypeVar("V")
T = TypeVar("T")


class TieredCache(Generic[K, V]):
    """`kind` names the bus channel; `ident` turns a key into the bus's text (and back, in
    `parse`); `redis_key` names its Redis entry; `load` reads the row (in a worker thread);
    `encode`/`decode` are the Redis form."""

    def __init__(self, kind: str, *, load: Callable[[K], V | None], redis_key: Callable[[K], str],
                 encode: Callable[[V], bytes], decode: Callable[[bytes | str, K], V],
                 ident: Callable[[K], str], parse: Callable[[str], K | None], ttl: Callable[[], float],
                 negative_ttl: float, max_found: int, max_missing: int) -> None:
        self.kind = kind
        self.local: BoundedTTL[K, V] = BoundedTTL(max_found, max_missing)
        self._load, self._redis_key, self._encode, self._decode = load, redis_key, encode, decode
        self._ident, self._parse, self._ttl, self._negative_ttl = ident, parse, ttl, negative_ttl
        self._inflight: dict[K, asyncio.Future[V | None]] = {}
        bus.subscribe(kind, self._drop)

    async def get(self, key: K) -> V | None:
        now = time.monotonic()
        hit = self.local.get(key, now)
        if hit is not MISS:
            return hit  # type: ignore[return-value]
        redis = get_async_redis()
        info: V | None = None
        found_in_redis = False
        if redis is not None:
            try:
                raw = await redis.get(self._redis_key(key))
                if raw:
                    info, found_in_redis = self._decode(raw, key), True
            except Exception:
                log.warning("redis read failed; falling back to the database", exc_info=True)
        if not found_in_redis:
            info = await self._single_flight(key)
            if info is not None and redis is not None:
                try:
                    await redis.set(self._redis_key(key), self._encode(info), ex=int(self._ttl()))
                except Exception:
                    log.warning("redis write failed", exc_info=True)
        self.local.put(key, info, now + (self._ttl() if info is not None else self._negative_ttl))
        return info

    async def _single_flight(self, key: K) -> V | None:
        """Concurrent misses for one key share one load."""
        pending = self._inflight.get(key)
        if pending is not None and pending.get_loop() is asyncio.get_running_loop():
            return await asyncio.shield(pending)
        fut: asyncio.Future[V | None] = asyncio.get_running_loop().create_future()
        self._inflight[key] = fut
        try:
            value = await asyncio.to_thread(self._load, key)
            fut.set_result(value)
            return value
        except BaseException as exc:
            fut.set_exception(exc)
            fut.exception()  # mark retrieved
            raise
        finally:
            self._inflight.pop(key, None)

    def invalidate(self, key: K) -> None:
        """After any write to the row: drop the Redis copy, and every instance's memory (the bus)."""
        client = get_sync_redis()
        if client is not None:
            try:
                client.delete(self._redis_key(key))
            except Exception:
                log.warning("redis delete failed", exc_info=True)
        bus.publish(self.kind, self._ident(key))

    def _drop(self, ident: str) -> None:
        key = self._parse(ident)
        if key is not None:
            self.local.pop(key)

    def clear(self) -> None:
        self.local.clear()
        self._inflight.clear()
