"""Read-through caches of the token and user rows the relay needs on every request.

Layer 1 is this process's memory, layer 2 is Redis (when REDIS_CONN_STRING is set), layer 3 the
database. Entries live SYNC_FREQUENCY seconds; any write calls `invalidate_*`, which drops the
entry here and in Redis and tells the other instances through the bus, so edits apply at once.
Unknown keys are remembered briefly too, so a flood of bad keys does not become a flood of queries.
Both kinds of entry are bounded (`lru.BoundedTTL`): memory stays flat whatever keys callers send,
and a key longer than any real one is refused before any lookup (`MAX_KEY_CHARS`).
Cache misses read through the relay's own connection pool (`relay_session_scope`), so console
traffic cannot make the relay wait.
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
from backend.cache.lru import MISS, BoundedTTL
from backend.cache.redis_client import get_async_redis, get_sync_redis
from backend.config import get_settings
from backend.db import relay_session_scope
from backend.models import Token, User

__all__ = ["MAX_KEY_CHARS", "TokenInfo", "UserInfo", "get_token", "get_user", "invalidate_token", "invalidate_user"]

log = logging.getLogger("newapi.cache")
NEGATIVE_TTL = 5.0
MAX_KEY_CHARS = 128
"""Longer than any real credential: API keys are 48 characters (`sk-` and `-<channel id>` around
them), access tokens 32. Anything longer is refused unread: no lookup, no cache entry."""
MAX_FOUND = 50_000  # snapshots of real rows kept per kind (a few hundred bytes each)
MAX_MISSING = 10_000  # remembered misses per kind: a flood of unknown keys stays within this
T = TypeVar("T")

_tokens: BoundedTTL[str, TokenInfo] = BoundedTTL(MAX_FOUND, MAX_MISSING)
_users: BoundedTTL[int, UserInfo] = BoundedTTL(MAX_FOUND, MAX_MISSING)
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
    with relay_session_scope() as s:
        row = s.exec(select(Token).where(Token.key == key, Token.deleted_at.is_(None))).first()  # type: ignore[union-attr]
        return TokenInfo.from_row(row) if row else None


def _load_user_row(user_id: int) -> UserInfo | None:
    with relay_session_scope() as s:
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
    if len(key) > MAX_KEY_CHARS:
        return None
    now = time.monotonic()
    hit = _tokens.get(key, now)
    if hit is not MISS:
        return hit  # type: ignore[return-value]
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
    _tokens.put(key, info, now + (_ttl() if info is not None else NEGATIVE_TTL))
    return info


async def get_user(user_id: int) -> UserInfo | None:
    now = time.monotonic()
    hit = _users.get(user_id, now)
    if hit is not MISS:
        return hit  # type: ignore[return-value]
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
    _users.put(user_id, info, now + (_ttl() if info is not None else NEGATIVE_TTL))
    return info


def _drop_token(key: str) -> None:
    _tokens.pop(key)


def _drop_user(ident: str) -> None:
    if ident.isdigit():
        _users.pop(int(ident))


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


def local_sizes() -> dict[str, dict[str, int]]:
    """This process's token and user caches: entries held (found rows, remembered misses) and bounds."""
    return {name: {"found": c.counts()[0], "missing": c.counts()[1], "max_found": c.max_found,
                   "max_missing": c.max_missing}
            for name, c in (("tokens", _tokens), ("users", _users))}


def clear_local() -> int:
    """Drop this process's token and user snapshots (they reload from Redis or the DB on the next
    request); answers how many entries were dropped. Balances live in the ledger, not here."""
    dropped = len(_tokens) + len(_users)
    _tokens.clear()
    _users.clear()
    return dropped
