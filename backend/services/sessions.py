"""Login sessions kept on the server, so they can be ended: at logout, when the password changes or
is reset, and when the user is disabled or deleted.

A session is a `user_sessions` row (HMAC of the cookie's random secret, user id, expiry), checked
on every /api request and console event. With Redis, a checked session is remembered in this
process for up to CACHE_TTL seconds; every ending is announced on the bus (`backend.cache.bus`),
which drops it from every instance's memory at once, so a revocation never waits for the TTL.
Without Redis there is no bus between instances, so nothing is remembered: each check reads the DB.
Expired rows are deleted by a periodic job.
"""

from __future__ import annotations

import asyncio
import threading
import time

from sqlalchemy import delete, event
from sqlmodel import Session, col, select

from backend import lifecycle
from backend.auth.sessions import COOKIE_NAME, MAX_AGE, cookie_kwargs, new_secret, session_id
from backend.cache import bus, redis_client
from backend.db import session_scope
from backend.models import UserSession

__all__ = ["COOKIE_NAME", "MAX_AGE", "cookie_kwargs", "end", "end_user_sessions", "purge_expired", "start", "verify"]

BUS_KIND = "session"  # value: a session id, or "user:<id>" for every session of a user
CACHE_TTL = 30.0
CACHE_MAX = 10_000
PURGE_INTERVAL = 3600.0

_lock = threading.Lock()
_cache: dict[str, tuple[int, int, float]] = {}  # session id -> (user id, expires_at, remembered until)
# Bumped by every ending notice. A check remembers what it read only if no notice arrived while it
# read, so a row read just before a revocation cannot be cached after the notice dropped it.
_epoch = 0


def start(user_id: int, now: int | None = None) -> str:
    """A new session for the user; returns the cookie value (shown to nobody else, stored hashed)."""
    secret = new_secret()
    issued = int(time.time()) if now is None else now
    sid = session_id(secret)
    assert sid is not None  # a fresh secret is always well formed
    with session_scope() as s:
        s.add(UserSession(id=sid, user_id=user_id, created_at=issued, expires_at=issued + MAX_AGE))
    return secret


def _read(sid: str, session: Session | None) -> tuple[int, int] | None:
    stmt = select(UserSession.user_id, UserSession.expires_at).where(UserSession.id == sid)
    if session is not None:
        row = session.exec(stmt).first()
    else:
        with session_scope() as s:
            row = s.exec(stmt).first()
    return (int(row[0]), int(row[1])) if row is not None else None


def verify(cookie: str | None, session: Session | None = None, now: float | None = None) -> int | None:
    """The user id of the live session this cookie names, else None. `session`: the caller's DB
    session, so a request reads through the one connection it already has."""
    sid = session_id(cookie)
    if sid is None:
        return None
    current = time.time() if now is None else now
    with _lock:
        hit = _cache.get(sid)
        epoch = _epoch
    if hit is not None and hit[2] > time.monotonic():
        return hit[0] if hit[1] > current else None
    row = _read(sid, session)
    if row is None or row[1] <= current:
        return None
    if redis_client.enabled():
        with _lock:
            if epoch == _epoch:
                if len(_cache) >= CACHE_MAX:
                    _cache.clear()
                _cache[sid] = (row[0], row[1], time.monotonic() + CACHE_TTL)
    return row[0]


def end(cookie: str | None) -> None:
    """Logout: this session ends here and on every instance."""
    sid = session_id(cookie)
    if sid is None:
        return
    with session_scope() as s:
        s.execute(delete(UserSession).where(col(UserSession.id) == sid))
    bus.publish(BUS_KIND, sid)


def end_user_sessions(s: Session, user_id: int, *, keep: str | None = None) -> None:
    """End every session of the user but the one of cookie `keep`, in the caller's transaction
    (so a password change and the logout of its old sessions commit together). Every instance
    forgets them once that transaction commits."""
    stmt = delete(UserSession).where(col(UserSession.user_id) == user_id)
    keep_sid = session_id(keep)
    if keep_sid is not None:
        stmt = stmt.where(col(UserSession.id) != keep_sid)
    s.execute(stmt)
    event.listen(s, "after_commit", lambda _s: bus.publish(BUS_KIND, f"user:{user_id}"), once=True)


def purge_expired(now: int | None = None) -> int:
    """Delete sessions past their expiry; returns how many."""
    cutoff = int(time.time()) if now is None else now
    with session_scope() as s:
        return s.exec(delete(UserSession).where(col(UserSession.expires_at) <= cutoff)).rowcount or 0


def _on_ended(value: str) -> None:
    global _epoch
    with _lock:
        _epoch += 1
        if value.startswith("user:"):
            uid = int(value[5:]) if value[5:].isdigit() else None
            for sid in [sid for sid, hit in _cache.items() if hit[0] == uid]:
                del _cache[sid]
        else:
            _cache.pop(value, None)


bus.subscribe(BUS_KIND, _on_ended)


async def _purge_in_thread() -> None:
    await asyncio.to_thread(purge_expired)


_purger = lifecycle.PeriodicJob("newapi-session-purge", lambda: PURGE_INTERVAL, _purge_in_thread)


@lifecycle.on_reset
def _reset() -> None:
    global _epoch
    with _lock:
        _cache.clear()
        _epoch = 0
