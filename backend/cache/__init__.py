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

import hashlib
import hmac
import logging

from sqlmodel import col, select

from backend import lifecycle
from backend.cache.entities import TokenInfo, UserInfo
from backend.cache.tiered import TieredCache
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
        row = s.exec(select(Token).where(col(Token.key) == key, col(Token.deleted_at).is_(None))).first()
        return TokenInfo.from_row(row) if row else None


def _load_user_row(user_id: int) -> UserInfo | None:
    with relay_session_scope() as s:
        row = s.get(User, user_id)
        return UserInfo.from_row(row) if row and row.deleted_at is None else None


def _user_id(ident: str) -> int | None:
    return int(ident) if ident.isdigit() else None


# `load` goes through the module name at call time, so a test can count the database reads.
_token_cache: TieredCache[str, TokenInfo] = TieredCache(
    "token", load=lambda key: _load_token_row(key), redis_key=_token_redis_key, encode=TokenInfo.to_json,
    decode=TokenInfo.from_json, ident=str, parse=str, ttl=_ttl, negative_ttl=NEGATIVE_TTL,
    max_found=MAX_FOUND, max_missing=MAX_MISSING)
_user_cache: TieredCache[int, UserInfo] = TieredCache(
    "user", load=lambda user_id: _load_user_row(user_id), redis_key=_user_redis_key, encode=UserInfo.to_json,
    decode=lambda raw, _user_id: UserInfo.from_json(raw), ident=str, parse=_user_id, ttl=_ttl,
    negative_ttl=NEGATIVE_TTL, max_found=MAX_FOUND, max_missing=MAX_MISSING)
_tokens = _token_cache.local  # this process's entries (diagnostics, tests)
_users = _user_cache.local


async def get_token(key: str) -> TokenInfo | None:
    if len(key) > MAX_KEY_CHARS:
        return None  # longer than any real key: no lookup, no entry
    return await _token_cache.get(key)


async def get_user(user_id: int) -> UserInfo | None:
    return await _user_cache.get(user_id)


def invalidate_token(key: str) -> None:
    """Call after any write to a tokens row (create, edit, status, delete)."""
    _token_cache.invalidate(key)


def invalidate_user(user_id: int) -> None:
    """Call after any write to a users row (edit, ban, role, group, quota set by an admin)."""
    _user_cache.invalidate(user_id)


@lifecycle.on_reset
def _reset() -> None:
    _token_cache.clear()
    _user_cache.clear()


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
