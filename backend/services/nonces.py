"""Short-lived, single-use values shared by every instance: OAuth states, Telegram bot-login nonces.

A value (a small JSON object) lives under (kind, key) until it expires or is taken. With Redis
(REDIS_CONN_STRING) it is a Redis key with a TTL; without, an `auth_nonces` row, so several
instances sharing a database still agree. `take` is atomic: of two concurrent takers exactly one
gets the value, which is what makes a nonce single-use. Keys are stored hashed (SHA-256), so a
leaked table or Redis dump does not hand out live states.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import delete, update
from sqlmodel import col, select

from backend.cache.redis_client import get_sync_redis, sync_get, sync_getdel
from backend.db import session_scope
from backend.models import AuthNonce

_PREFIX = "nonce:"


def _now() -> float:
    return time.time()


def _key(kind: str, key: str) -> str:
    return f"{kind}:{hashlib.sha256(key.encode()).hexdigest()}"


def put(kind: str, key: str, value: dict[str, Any], ttl: float) -> None:
    """Store (or replace) the value for `ttl` seconds."""
    expires = _now() + ttl
    raw = json.dumps({"v": value, "exp": expires})
    client = get_sync_redis()
    k = _key(kind, key)
    if client is not None:
        client.set(_PREFIX + k, raw, ex=max(1, int(ttl) + 1))
        return
    with session_scope() as s:
        # Garbage first (the expiry index makes this cheap), then the value itself.
        s.execute(delete(AuthNonce).where(col(AuthNonce.expires_at) < int(_now())))
        s.execute(delete(AuthNonce).where(col(AuthNonce.key) == k))
        s.add(AuthNonce(key=k, value=raw, expires_at=int(expires) + 1))


def _decode(raw: str | bytes | None) -> dict[str, Any] | None:
    if raw is None:
        return None
    try:
        body = json.loads(raw)
    except ValueError:
        return None
    if not isinstance(body, dict) or float(body.get("exp", 0)) <= _now():
        return None
    value = body.get("v")
    return value if isinstance(value, dict) else None


def remaining(kind: str, key: str) -> float:
    """Seconds the value has left (0 when gone)."""
    raw = _raw(kind, key)
    if raw is None:
        return 0.0
    try:
        return max(0.0, float(json.loads(raw).get("exp", 0)) - _now())
    except (ValueError, AttributeError):
        return 0.0


def _raw(kind: str, key: str) -> str | bytes | None:
    client = get_sync_redis()
    k = _key(kind, key)
    if client is not None:
        return sync_get(client, _PREFIX + k)
    with session_scope() as s:
        row = s.exec(select(AuthNonce.value).where(AuthNonce.key == k)).first()
    return row


def get(kind: str, key: str) -> dict[str, Any] | None:
    """The live value, left in place."""
    return _decode(_raw(kind, key))


def take(kind: str, key: str) -> dict[str, Any] | None:
    """The live value, removed in the same step: only one caller ever gets it."""
    client = get_sync_redis()
    k = _key(kind, key)
    if client is not None:
        return _decode(sync_getdel(client, _PREFIX + k))
    with session_scope() as s:
        raw = s.exec(select(AuthNonce.value).where(AuthNonce.key == k)).first()
        if raw is None:
            return None
        # Whoever deletes the row owns the value; a concurrent taker deletes nothing.
        gone = s.exec(delete(AuthNonce).where(col(AuthNonce.key) == k)).rowcount
    return _decode(raw) if gone == 1 else None


# KEYS[1]; ARGV[1] the value read before, ARGV[2] the new one. Replaces only if unchanged.
_REPLACE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[2], 'KEEPTTL')
  return 1
end
return 0
"""


def update_if(kind: str, key: str, check: Callable[[dict[str, Any]], bool],
              change: Callable[[dict[str, Any]], dict[str, Any]]) -> bool:
    """Compare-and-set: if the live value passes `check`, store `change(value)` (same expiry) in one
    atomic step against concurrent writers and takers. False when it is gone or fails the check."""
    k = _key(kind, key)
    raw = _raw(kind, key)
    value = _decode(raw)
    if raw is None or value is None or not check(value):
        return False
    old = raw.decode() if isinstance(raw, bytes) else raw
    new = json.dumps({"v": change(dict(value)), "exp": json.loads(old)["exp"]})
    client = get_sync_redis()
    if client is not None:
        return bool(client.eval(_REPLACE, 1, _PREFIX + k, old, new))
    with session_scope() as s:
        done = s.exec(update(AuthNonce).where(col(AuthNonce.key) == k, col(AuthNonce.value) == old).values(value=new))
        return done.rowcount == 1


def discard(kind: str, key: str) -> None:
    take(kind, key)
