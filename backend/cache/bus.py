"""Change notifications between the modules of one process and between gateway instances.

`publish(kind, key)` runs this process's subscribers at once and, when Redis is configured, tells
every other instance through Redis pub/sub, whose listener runs its own subscribers. So a token
edited on node A stops working on node B within one round trip, not one SYNC_FREQUENCY.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections import defaultdict
from collections.abc import Callable

import orjson
from redis.connection import parse_url

from backend import lifecycle
from backend.cache.redis_client import get_async_redis, get_sync_redis
from backend.config import get_settings

CHANNEL_PREFIX = "newapi:bus"
INSTANCE_ID = uuid.uuid4().hex
log = logging.getLogger("newapi.bus")

Callback = Callable[[str], None]
_subscribers: dict[str, list[Callback]] = defaultdict(list)
_listener: asyncio.Task | None = None


def subscribe(kind: str, callback: Callback) -> None:
    if callback not in _subscribers[kind]:
        _subscribers[kind].append(callback)


def _deliver(kind: str, key: str) -> None:
    for cb in list(_subscribers.get(kind, ())):
        try:
            cb(key)
        except Exception:
            log.exception("bus subscriber for %s failed", kind)


def channel() -> str:
    """The pub/sub channel of the configured Redis database. Pub/sub is server-wide in Redis, not per
    database: gateways sharing one Redis server under different databases (two deployments, a
    staging copy, parallel test workers) would otherwise rest each other's channels and drop each
    other's cached tokens on every notice."""
    return f"{CHANNEL_PREFIX}:{parse_url(get_settings().REDIS_CONN_STRING).get('db', 0)}"


def encode(kind: str, key: str = "") -> bytes:
    """The message other instances' listeners read (for a Lua script that publishes it itself)."""
    return orjson.dumps({"o": INSTANCE_ID, "k": kind, "v": key})


def publish(kind: str, key: str = "") -> None:
    _deliver(kind, key)
    client = get_sync_redis()
    if client is not None:
        try:
            client.publish(channel(), encode(kind, key))
        except Exception:  # Redis down: this node is still right; others catch up at SYNC_FREQUENCY
            log.warning("could not publish %s change to Redis", kind, exc_info=True)


async def _listen() -> None:
    client = get_async_redis()
    if client is None:
        return
    while True:
        try:
            pubsub = client.pubsub(ignore_subscribe_messages=True)
            await pubsub.subscribe(channel())
            async for message in pubsub.listen():
                data = orjson.loads(message["data"])
                if data.get("o") != INSTANCE_ID:
                    _deliver(data["k"], data.get("v", ""))
        except asyncio.CancelledError:
            raise
        except Exception:
            log.warning("bus listener lost Redis; retrying", exc_info=True)
            await asyncio.sleep(1)


@lifecycle.on_startup
async def start_listener() -> None:
    global _listener
    if get_async_redis() is not None and _listener is None:
        _listener = asyncio.create_task(_listen(), name="newapi-bus")
        await asyncio.sleep(0)


@lifecycle.on_shutdown
async def stop_listener() -> None:
    global _listener
    if _listener is not None:
        _listener.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await _listener
        _listener = None


@lifecycle.on_reset
def _reset() -> None:
    global _listener
    _listener = None
