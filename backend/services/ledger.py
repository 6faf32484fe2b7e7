"""Quota counters on the hot path: balance checks without a DB read, writes in batches.

Balances of users (`users.quota`) and tokens (`tokens.remain_quota`) are "last DB value + deltas
not yet flushed". Without Redis they live in this process; with REDIS_CONN_STRING they live in
Redis hashes (changed with HINCRBY, seeded from the DB when missing) so several gateway instances
agree. Every counter change is also kept as a local delta and written every BATCH_UPDATE_INTERVAL
seconds in one transaction of `UPDATE … SET col = col + :delta`; a failed flush puts its deltas
back for the next one, so a delta is never lost and never applied twice.

Writers outside the ledger (admin quota edits, top-ups, redemptions) change the DB row and then
call `forget_user` / `forget_token` so the next check re-reads the base from the DB.
Known limit with Redis: a forgotten balance is re-seeded from the DB plus this instance's own
unflushed deltas; other instances' unflushed deltas (at most one flush interval) are not in it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine

from backend import lifecycle
from backend.config import get_settings
from backend.db import get_engine
from backend.services.errors import ServiceError

log = logging.getLogger("newapi.ledger")

TRUST_QUOTA = 5_000_000  # $10: above this (user and token) no reservation is taken
_KEY_PREFIX = "newapi:ledger"


class InsufficientUserQuota(ServiceError):
    code = "insufficient_user_quota"

    def __init__(self, remaining: int, needed: int) -> None:
        super().__init__(f"insufficient user quota: remaining {remaining}, needed {needed}", 403)
        self.remaining, self.needed = remaining, needed


class InsufficientTokenQuota(ServiceError):
    code = "pre_consume_token_quota_failed"

    def __init__(self, remaining: int, needed: int) -> None:
        super().__init__(f"insufficient token quota: remaining {remaining}, needed {needed}", 403)
        self.remaining, self.needed = remaining, needed


def _add(d: dict[int, int], key: int, value: int) -> None:
    if value:
        d[key] = d.get(key, 0) + value


@dataclass
class Deltas:
    """Counter changes not yet in the DB, by row id."""

    user_quota: dict[int, int] = field(default_factory=dict)
    user_used: dict[int, int] = field(default_factory=dict)
    user_requests: dict[int, int] = field(default_factory=dict)
    token_remain: dict[int, int] = field(default_factory=dict)
    token_used: dict[int, int] = field(default_factory=dict)
    channel_used: dict[int, int] = field(default_factory=dict)

    def parts(self) -> tuple[dict[int, int], ...]:
        return (self.user_quota, self.user_used, self.user_requests, self.token_remain, self.token_used,
                self.channel_used)

    def empty(self) -> bool:
        return not any(self.parts())

    def merge(self, other: Deltas) -> None:
        for mine, theirs in zip(self.parts(), other.parts(), strict=True):
            for k, v in theirs.items():
                _add(mine, k, v)


# Atomic check-and-reserve on the shared balances. Returns {status, value}: status 0 = reserved
# `value` (0 = trusted), 1 = user short (value = balance), 2 = token short, -1/-2 = key missing.
_RESERVE_LUA = """
local uq = redis.call('HGET', KEYS[1], 'quota')
if not uq then return {-1, 0} end
uq = tonumber(uq)
local amount = tonumber(ARGV[1])
local trust = tonumber(ARGV[2])
local has_token = ARGV[3] == '1'
local limited = ARGV[4] == '1'
local tr = 0
if has_token then
  tr = redis.call('HGET', KEYS[2], 'remain')
  if not tr then return {-2, 0} end
  tr = tonumber(tr)
end
if uq <= 0 or uq < amount then return {1, uq} end
if uq > trust and ((not has_token) or (not limited) or tr > trust) then return {0, 0} end
if has_token and limited and tr < amount then return {2, tr} end
redis.call('HINCRBY', KEYS[1], 'quota', -amount)
if has_token then redis.call('HINCRBY', KEYS[2], 'remain', -amount) end
return {0, amount}
"""

# HINCRBY only when the balance exists: a missing one is re-seeded from the DB (+ local deltas).
_INCR_IF_EXISTS_LUA = """
if redis.call('EXISTS', KEYS[1]) == 1 then redis.call('HINCRBY', KEYS[1], ARGV[1], ARGV[2]) end
if KEYS[2] and KEYS[2] ~= '' and redis.call('EXISTS', KEYS[2]) == 1 then
  redis.call('HINCRBY', KEYS[2], ARGV[3], ARGV[4])
end
return 1
"""


class Ledger:
    """One process's view of the quota counters; thread-safe and usable from asyncio."""

    def __init__(self, redis=None, engine: Callable[[], Engine] = get_engine) -> None:  # noqa: ANN001
        self._redis = redis
        self._engine = engine
        self._lock = threading.Lock()  # guards the dicts below; never held across I/O
        self._flush_lock = threading.Lock()  # one flush at a time; base loads wait for it
        self._pending = Deltas()
        self._inflight: Deltas | None = None
        self._user_base: dict[int, int] = {}
        self._token_base: dict[int, int] = {}
        if redis is not None:
            self._reserve_script = redis.register_script(_RESERVE_LUA)
            self._incr_script = redis.register_script(_INCR_IF_EXISTS_LUA)

    # ---- balances -------------------------------------------------------------------------

    def _unflushed(self, part: str, key: int) -> int:
        value = getattr(self._pending, part).get(key, 0)
        if self._inflight is not None:
            value += getattr(self._inflight, part).get(key, 0)
        return value

    def _read_db(self, table: str, column: str, row_id: int) -> int:
        with self._engine().connect() as conn:
            value = conn.execute(text(f"SELECT {column} FROM {table} WHERE id = :id"), {"id": row_id}).scalar()
        return int(value or 0)

    def _load_user(self, user_id: int) -> None:
        """Seed a balance from the DB. Under the flush lock, so no flush is half-applied meanwhile."""
        with self._flush_lock:
            db_value = self._read_db("users", "quota", user_id)
            with self._lock:
                own = self._unflushed("user_quota", user_id)
                if self._redis is None:
                    self._user_base.setdefault(user_id, db_value)
                    return
            self._redis.hsetnx(self._user_key(user_id), "quota", db_value + own)

    def _load_token(self, token_id: int) -> None:
        with self._flush_lock:
            db_value = self._read_db("tokens", "remain_quota", token_id)
            with self._lock:
                own = self._unflushed("token_remain", token_id)
                if self._redis is None:
                    self._token_base.setdefault(token_id, db_value)
                    return
            self._redis.hsetnx(self._token_key(token_id), "remain", db_value + own)

    @staticmethod
    def _user_key(user_id: int) -> str:
        return f"{_KEY_PREFIX}:user:{user_id}"

    @staticmethod
    def _token_key(token_id: int) -> str:
        return f"{_KEY_PREFIX}:token:{token_id}"

    def user_quota(self, user_id: int) -> int:
        """The live balance: what the DB will hold once every pending delta is flushed."""
        for _ in range(5):
            if self._redis is not None:
                raw = self._redis.hget(self._user_key(user_id), "quota")
                if raw is not None:
                    return int(raw)
            else:
                with self._lock:
                    if user_id in self._user_base:
                        return self._user_base[user_id] + self._unflushed("user_quota", user_id)
            self._load_user(user_id)
        raise RuntimeError(f"cannot load the balance of user {user_id}")

    def token_remain(self, token_id: int) -> int:
        for _ in range(5):
            if self._redis is not None:
                raw = self._redis.hget(self._token_key(token_id), "remain")
                if raw is not None:
                    return int(raw)
            else:
                with self._lock:
                    if token_id in self._token_base:
                        return self._token_base[token_id] + self._unflushed("token_remain", token_id)
            self._load_token(token_id)
        raise RuntimeError(f"cannot load the balance of token {token_id}")

    def is_cached(self, user_id: int, token_id: int | None) -> bool:
        """True when a check needs no I/O at all (in-process balances already seeded)."""
        if self._redis is not None:
            return False
        with self._lock:
            return user_id in self._user_base and (token_id is None or token_id in self._token_base)

    def forget_user(self, user_id: int) -> None:
        """The users row was changed outside the ledger: re-read its quota on next use."""
        with self._lock:
            self._user_base.pop(user_id, None)
        if self._redis is not None:
            self._redis.delete(self._user_key(user_id))

    def forget_token(self, token_id: int) -> None:
        with self._lock:
            self._token_base.pop(token_id, None)
        if self._redis is not None:
            self._redis.delete(self._token_key(token_id))

    # ---- changes --------------------------------------------------------------------------

    def reserve(self, user_id: int, token_id: int | None, amount: int, *, token_unlimited: bool = False,
                trust_quota: int = TRUST_QUOTA) -> int:
        """Check and take `amount` from user and token atomically; returns what was taken.

        0 is returned (nothing taken) when the user is trusted: balance above `trust_quota` and
        the token unlimited or also above it. Raises InsufficientUserQuota / InsufficientTokenQuota.
        """
        amount = int(amount)
        if self._redis is not None:
            return self._reserve_redis(user_id, token_id, amount, token_unlimited, trust_quota)
        for _ in range(5):
            with self._lock:
                if user_id in self._user_base and (token_id is None or token_id in self._token_base):
                    uq = self._user_base[user_id] + self._unflushed("user_quota", user_id)
                    tr = 0
                    if token_id is not None:
                        tr = self._token_base[token_id] + self._unflushed("token_remain", token_id)
                    taken = self._decide(uq, tr, amount, token_id is not None, token_unlimited, trust_quota)
                    if taken:
                        _add(self._pending.user_quota, user_id, -taken)
                        if token_id is not None:
                            _add(self._pending.token_remain, token_id, -taken)
                            _add(self._pending.token_used, token_id, taken)
                    return taken
            if user_id not in self._user_base:
                self._load_user(user_id)
            if token_id is not None and token_id not in self._token_base:
                self._load_token(token_id)
        raise RuntimeError(f"cannot load the balances of user {user_id} / token {token_id}")

    @staticmethod
    def _decide(uq: int, tr: int, amount: int, has_token: bool, unlimited: bool, trust: int) -> int:
        if uq <= 0 or uq < amount:
            raise InsufficientUserQuota(uq, amount)
        if uq > trust and (not has_token or unlimited or tr > trust):
            return 0
        if has_token and not unlimited and tr < amount:
            raise InsufficientTokenQuota(tr, amount)
        return amount

    def _reserve_redis(self, user_id: int, token_id: int | None, amount: int, unlimited: bool, trust: int) -> int:
        keys = [self._user_key(user_id), self._token_key(token_id) if token_id is not None else ""]
        args = [amount, trust, "1" if token_id is not None else "0", "0" if unlimited else "1"]
        for _ in range(5):
            status, value = (int(x) for x in self._reserve_script(keys=keys, args=args))
            if status == -1:
                self._load_user(user_id)
                continue
            if status == -2 and token_id is not None:
                self._load_token(token_id)
                continue
            if status == 1:
                raise InsufficientUserQuota(value, amount)
            if status == 2:
                raise InsufficientTokenQuota(value, amount)
            if value:
                with self._lock:
                    _add(self._pending.user_quota, user_id, -value)
                    if token_id is not None:
                        _add(self._pending.token_remain, token_id, -value)
                        _add(self._pending.token_used, token_id, value)
            return value
        raise RuntimeError(f"cannot load the balances of user {user_id} / token {token_id}")

    def apply(self, user_id: int, token_id: int | None, *, quota_delta: int = 0, used: int = 0,
              requests: int = 0, channel_id: int = 0) -> None:
        """Spend `quota_delta` more (negative gives back) from user and token; count usage.

        `used` goes to users.used_quota and channels.used_quota; the token's used_quota moves
        with `quota_delta` (the reservation already counted there).
        """
        with self._lock:
            _add(self._pending.user_quota, user_id, -quota_delta)
            _add(self._pending.user_used, user_id, used)
            _add(self._pending.user_requests, user_id, requests)
            if token_id is not None:
                _add(self._pending.token_remain, token_id, -quota_delta)
                _add(self._pending.token_used, token_id, quota_delta)
            if channel_id:
                _add(self._pending.channel_used, channel_id, used)
        if self._redis is not None and quota_delta:
            tkey = self._token_key(token_id) if token_id is not None else ""
            self._incr_script(keys=[self._user_key(user_id), tkey], args=["quota", -quota_delta, "remain", -quota_delta])

    def pending(self) -> Deltas:
        """A copy of what the next flush would write (tests, diagnostics)."""
        snapshot = Deltas()
        with self._lock:
            snapshot.merge(self._pending)
            if self._inflight is not None:
                snapshot.merge(self._inflight)
        return snapshot

    # ---- flush ----------------------------------------------------------------------------

    def flush(self) -> bool:
        """Write every pending delta in one transaction. False (deltas kept) if the DB failed."""
        with self._flush_lock:
            with self._lock:
                batch, self._pending = self._pending, Deltas()
                if batch.empty():
                    return True
                self._inflight = batch
            try:
                with self._engine().begin() as conn:
                    self._write(conn, batch)
            except Exception:
                log.exception("quota flush failed; %d rows kept for the next try", sum(map(len, batch.parts())))
                with self._lock:
                    self._pending.merge(batch)
                    self._inflight = None
                return False
            with self._lock:
                for uid, d in batch.user_quota.items():
                    if uid in self._user_base:
                        self._user_base[uid] += d
                for tid, d in batch.token_remain.items():
                    if tid in self._token_base:
                        self._token_base[tid] += d
                self._inflight = None
            return True

    def _write(self, conn: Connection, batch: Deltas) -> None:
        self._write_users(conn, batch)
        self._write_tokens(conn, batch)
        self._write_channels(conn, batch)

    @staticmethod
    def _write_users(conn: Connection, batch: Deltas) -> None:
        ids = sorted(set(batch.user_quota) | set(batch.user_used) | set(batch.user_requests))
        if ids:  # sorted ids: instances flushing at once lock rows in the same order (no deadlock)
            conn.execute(
                text("UPDATE users SET quota = quota + :q, used_quota = used_quota + :u, "
                     "request_count = request_count + :r WHERE id = :id"),
                [{"id": i, "q": batch.user_quota.get(i, 0), "u": batch.user_used.get(i, 0),
                  "r": batch.user_requests.get(i, 0)} for i in ids],
            )

    @staticmethod
    def _write_tokens(conn: Connection, batch: Deltas) -> None:
        ids = sorted(set(batch.token_remain) | set(batch.token_used))
        if ids:
            conn.execute(
                text("UPDATE tokens SET remain_quota = remain_quota + :r, used_quota = used_quota + :u WHERE id = :id"),
                [{"id": i, "r": batch.token_remain.get(i, 0), "u": batch.token_used.get(i, 0)} for i in ids],
            )

    @staticmethod
    def _write_channels(conn: Connection, batch: Deltas) -> None:
        ids = sorted(batch.channel_used)
        if ids:
            conn.execute(text("UPDATE channels SET used_quota = used_quota + :u WHERE id = :id"),
                         [{"id": i, "u": batch.channel_used[i]} for i in ids])

    # ---- asyncio front ----------------------------------------------------------------------

    async def areserve(self, user_id: int, token_id: int | None, amount: int, *, token_unlimited: bool = False,
                       trust_quota: int = TRUST_QUOTA) -> int:
        if self.is_cached(user_id, token_id):  # pure memory: no thread hop
            return self.reserve(user_id, token_id, amount, token_unlimited=token_unlimited, trust_quota=trust_quota)
        return await asyncio.to_thread(self.reserve, user_id, token_id, amount, token_unlimited=token_unlimited,
                                       trust_quota=trust_quota)

    async def aapply(self, user_id: int, token_id: int | None, **kw: int) -> None:
        if self._redis is None:
            self.apply(user_id, token_id, **kw)
        else:
            await asyncio.to_thread(self.apply, user_id, token_id, **kw)

    async def auser_quota(self, user_id: int) -> int:
        if self.is_cached(user_id, None):
            return self.user_quota(user_id)
        return await asyncio.to_thread(self.user_quota, user_id)

    async def atoken_remain(self, token_id: int) -> int:
        if self._redis is None:
            with self._lock:
                if token_id in self._token_base:
                    return self._token_base[token_id] + self._unflushed("token_remain", token_id)
        return await asyncio.to_thread(self.token_remain, token_id)


# ---- the process's ledger and its flusher -------------------------------------------------

_ledger: Ledger | None = None
_ledger_lock = threading.Lock()
_flusher: asyncio.Task | None = None


def get_ledger() -> Ledger:
    global _ledger
    if _ledger is None:
        with _ledger_lock:
            if _ledger is None:
                from backend.cache.redis_client import get_sync_redis

                _ledger = Ledger(redis=get_sync_redis())
    return _ledger


def forget_user(user_id: int) -> None:
    get_ledger().forget_user(user_id)


def forget_token(token_id: int) -> None:
    get_ledger().forget_token(token_id)


def flush_all() -> bool:
    """Counters, consume logs and quota_data; True when everything reached the DB."""
    from backend.services import quota_data, usage_log

    ok = True
    for step in (get_ledger().flush, usage_log.flush, quota_data.flush):
        try:
            ok = step() and ok
        except Exception:  # one failing buffer must not keep the others from being written
            log.exception("flush step %s failed", getattr(step, "__qualname__", step))
            ok = False
    return ok


async def _flush_forever() -> None:
    interval = max(get_settings().BATCH_UPDATE_INTERVAL, 0.1)
    while True:
        await asyncio.sleep(interval)
        await asyncio.to_thread(flush_all)


@lifecycle.on_startup
async def _start() -> None:
    global _flusher
    _flusher = asyncio.create_task(_flush_forever(), name="newapi-ledger-flush")


@lifecycle.on_shutdown
async def _stop() -> None:
    global _flusher
    if _flusher is not None:
        _flusher.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await _flusher
        _flusher = None
    await asyncio.to_thread(flush_all)


@lifecycle.on_reset
def _reset() -> None:
    global _ledger, _flusher
    _ledger = None
    _flusher = None
