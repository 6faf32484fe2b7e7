"""Read-through caches of the token and user rows the relay needs on every request.

Layer 1 is this process's memory, layer 2 is Redis (when REDIS_CONN_STRING is set), layer 3 the
database. Entries live SYNC_FREQUENCY seconds; any write calls `invalidate_*`, which drops the
entry here and in Redis and tells the other instances through the bus, so edits apply at once.
Unknown keys are remembered briefly too, so a flood of bad keys does not become a flood of queries.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import time
from collections.abc import Callable
from typing import TypeVar

from sqlmodel import select

from backend import lifecycle
from backend.cache import bus
from backend.cache.entities import TokenInfo, UserInfo
from backend.cache.redis_client import get_async_redis, get_sync_redis
from backend.config import get_settings
from backend.db import session_scope
from backend.models import Token, User

__all__ = ["TokenInfo", "UserInfo", "get_token", "get_user", "invalidate_token", "invalidate_user"]

log = logging.getLogger("newapi.cache")
NEGATIVE_TTL = 5.0
T = TypeVar("T")

_tokens: dict[str, tuple[TokenInfo | None, float]] = {}
_users: dict[int, tuple[UserInfo | None, float]] = {}
_inflight: dict[tuple[str, str], asyncio.Future] = {}


def _ttl() -> float:
    return float(max(get_settings().SYNC_FREQUENCY, 1))


def _token_redis_key(key: str) -> str:
    """Keyed by HMAC(CRYPTO_SECRET, key) so raw API keys never sit in Redis."""
    digest = hmac.new(get_settings().crypto_secret.encode(), key.encode(), hashlib.sha256).hexdigest()
    return f"newapi:token:{digest}"


def _user_redis_key(user_id: int) -> str:
    return f"newapi:user:{user_id}"


def _load_token_row(key: str) -> TokenInfo | None:
    with session_scope() as s:
        row = s.exec(select(Token).where(Token.key == key, Token.deleted_at.is_(None))).first()  # type: ignore[union-attr]
        return TokenInfo.from_row(row) if row else None


def _load_user_row(user_id: int) -> UserInfo | None:
    with session_scope() as s:
        row = s.get(User, user_id)
        return UserInfo.from_row(row) if row and row.deleted_at is None else None


async def _single_flight(kind: str, ident: str, load: Callable[[], T]) -> T:
    """Concurrent misses for one key share one load."""
    slot = (kind, ident)
    pending = _inflight.get(slot)
    if pending is not None and pending.get_loop() is asyncio.get_running_loop():
        return await asyncio.shield(pending)
    fut: asyncio.Future = asyncio.get_running_loop().create_future()
    _inflight[slot] = fut
    try:
        value = await asyncio.to_thread(load)
        fut.set_result(value)
        return value
    except BaseException as exc:
        fut.set_exception(exc)
        fut.exception()  # mark retrieved
        raise
    finally:
        _inflight.pop(slot, None)


async def get_token(key: str) -> TokenInfo | None:
    now = time.monotonic()
    hit = _tokens.get(key)
    if hit is not None and hit[1] > now:
        return hit[0]
    redis = get_async_redis()
    info: TokenInfo | None = None
    found_in_redis = False
    if redis is not None:
        try:
            raw = await redis.get(_token_redis_key(key))
            if raw:
                info, found_in_redis = TokenInfo.from_json(raw, key), True
        except Exception:
            log.warning("redis read failed; falling back to the database", exc_info=True)
    if not found_in_redis:
        info = await _single_flight("token", key, lambda: _load_token_row(key))
        if info is not None and redis is not None:
            try:
                await redis.set(_token_redis_key(key), info.to_json(), ex=int(_ttl()))
            except Exception:
                log.warning("redis write failed", exc_info=True)
    _tokens[key] = (info, now + (_ttl() if info is not None else NEGATIVE_TTL))
    return info


async def get_user(user_id: int) -> UserInfo | None:
    now = time.monotonic()
    hit = _users.get(user_id)
    if hit is not None and hit[1] > now:
        return hit[0]
    redis = get_async_redis()
    info: UserInfo | None = None
    found_in_redis = False
    if redis is not None:
        try:
            raw = await redis.get(_user_redis_key(user_id))
            if raw:
                info, found_in_redis = UserInfo.from_json(raw), True
        except Exception:
            log.warning("redis read failed; falling back to the database", exc_info=True)
    if not found_in_redis:
        info = await _single_flight("user", str(user_id), lambda: _load_user_row(user_id))
        if info is not None and redis is not None:
            try:
                await redis.set(_user_redis_key(user_id), info.to_json(), ex=int(_ttl()))
            except Exception:
                log.warning("redis write failed", exc_info=True)
    _users[user_id] = (info, now + (_ttl() if info is not None else NEGATIVE_TTL))
    return info


def _drop_token(key: str) -> None:
    _tokens.pop(key, None)


def _drop_user(ident: str) -> None:
    if ident.isdigit():
        _users.pop(int(ident), None)


def invalidate_token(key: str) -> None:
    """Call after any write to a tokens row (create, edit, status, delete)."""
    client = get_sync_redis()
    if client is not None:
        try:
            client.delete(_token_redis_key(key))
        except Exception:
            log.warning("redis delete failed", exc_info=True)
    bus.publish("token", key)


def invalidate_user(user_id: int) -> None:
    """Call after any write to a users row (edit, ban, role, group, quota set by an admin)."""
    client = get_sync_redis()
    if client is not None:
        try:
            client.delete(_user_redis_key(user_id))
        except Exception:
            log.warning("redis delete failed", exc_info=True)
    bus.publish("user", str(user_id))


bus.subscribe("token", _drop_token)
bus.subscribe("user", _drop_user)


@lifecycle.on_reset
def _reset() -> None:
    _tokens.clear()
    _users.clear()
    _inflight.clear()
