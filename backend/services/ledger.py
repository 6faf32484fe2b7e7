"""Quota counters on the hot path: balance checks without a DB read, writes in batches.

Balances of users (`users.quota`) and tokens (`tokens.remain_quota`) are "last DB value + deltas
not yet flushed". Without Redis they live in this process (the DB base is re-read at most every
SYNC_FREQUENCY seconds, in a worker thread); with REDIS_CONN_STRING they live in Redis
(`ledger_redis.py`) so several gateway instances agree. Every counter change is also kept as a
local delta and written every BATCH_UPDATE_INTERVAL seconds in one transaction of
`UPDATE … SET col = col + :delta`; a failed flush puts its deltas back for the next one, so a
delta is never lost and never applied twice. Every reservation gets a sequence number of the
process's journal (`journal.py`) and every settle or refund is journaled, so a crash between two
flushes loses no answered call: the next start replays what the DB lacks (`journal_replay.py`).

Writers outside the ledger (admin quota edits, top-ups, redemptions) change the DB row and call
`backend.cache.invalidate_user` / `invalidate_token`; the ledger listens on the same bus and
forgets that balance (`forget_user` / `forget_token`), so the next check re-reads the DB.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import text
from sqlalchemy.engine import Engine

from backend import lifecycle
from backend.cache import bus
from backend.cache.redis_client import get_sync_redis
from backend.config import get_settings
from backend.db import get_relay_engine
from backend.observability import metrics
from backend.services import batch_buffer, journal_replay
from backend.services import journal as wal
from backend.services.errors import ServiceError, msg
from backend.services.journal_marks import LEDGER, set_mark
from backend.services.ledger_deltas import Deltas, write_deltas
from backend.services.ledger_redis import RedisBalances

log = logging.getLogger("newapi.ledger")

TRUST_QUOTA = 5_000_000  # $10: above this (user and token) no reservation is taken


class InsufficientUserQuota(ServiceError):
    code = "insufficient_user_quota"

    def __init__(self, remaining: int, needed: int) -> None:
        super().__init__(msg("insufficient user quota: remaining {remaining}, needed {needed}", remaining=remaining,
                             needed=needed), 403)
        self.remaining, self.needed = remaining, needed


class InsufficientTokenQuota(ServiceError):
    code = "pre_consume_token_quota_failed"

    def __init__(self, remaining: int, needed: int) -> None:
        super().__init__(msg("insufficient token quota: remaining {remaining}, needed {needed}", remaining=remaining,
                             needed=needed), 403)
        self.remaining, self.needed = remaining, needed


class Reservation(int):
    """What a reservation took (an int), remembering the journal sequence number it got.

    `pre_consume` returns it and the Charge keeps it as `reserved`; settle and refund hand the
    number to `apply`, so after a crash the replay knows whether the reservation itself had been
    flushed already (then only the settle's difference is missing from the DB) or not.
    """

    seq: int

    def __new__(cls, value: int, seq: int = 0) -> Reservation:
        obj = super().__new__(cls, value)
        obj.seq = seq
        return obj


__all__ = ["Deltas", "InsufficientTokenQuota", "InsufficientUserQuota", "Ledger", "Reservation", "get_ledger"]


class Ledger:
    """One process's view of the quota counters; thread-safe and usable from asyncio."""

    def __init__(self, redis=None, engine: Callable[[], Engine] = get_relay_engine,  # noqa: ANN001
                 base_ttl: float | None = None) -> None:
        self._shared = RedisBalances(redis) if redis is not None else None
        self._engine = engine
        self._base_ttl = float(get_settings().SYNC_FREQUENCY) if base_ttl is None else base_ttl
        self._lock = threading.Lock()  # guards the state below; never held across I/O
        self._flush_lock = threading.Lock()  # one flush at a time; base loads wait for it
        self._pending = Deltas()
        self._inflight: Deltas | None = None
        self._max_seq = 0  # the highest journal sequence number among the deltas taken so far
        # In-process balances (no Redis): DB value as of the load, plus flushed deltas since.
        self._user_base: dict[int, tuple[int, float]] = {}
        self._token_base: dict[int, tuple[int, float]] = {}

    # ---- balances -------------------------------------------------------------------------

    def _unflushed(self, part: str, key: int) -> int:
        value = getattr(self._pending, part).get(key, 0)
        if self._inflight is not None:
            value += getattr(self._inflight, part).get(key, 0)
        return value

    def _fresh(self, bases: dict[int, tuple[int, float]], key: int, just_loaded: bool = False) -> bool:
        """Seeded, and young enough to trust (a base this very call loaded is always usable)."""
        hit = bases.get(key)
        return hit is not None and (just_loaded or time.monotonic() - hit[1] < self._base_ttl)

    def _read_db(self, table: str, column: str, row_id: int) -> int:
        with self._engine().connect() as conn:
            value = conn.execute(text(f"SELECT {column} FROM {table} WHERE id = :id"), {"id": row_id}).scalar()
        return int(value or 0)

    def _load(self, kind: str, row_id: int) -> None:
        """Seed one balance from the DB, under the flush lock so no flush of ours is half-done."""
        table, column = ("users", "quota") if kind == "user" else ("tokens", "remain_quota")
        with self._flush_lock:
            db_value = self._read_db(table, column, row_id)
            if self._shared is not None:
                (self._shared.seed_user if kind == "user" else self._shared.seed_token)(row_id, db_value)
                return
            with self._lock:
                bases = self._user_base if kind == "user" else self._token_base
                bases[row_id] = (db_value, time.monotonic())

    def _balance(self, kind: str, row_id: int) -> int:
        loaded = False
        for _ in range(5):
            if self._shared is not None:
                got = (self._shared.user_quota if kind == "user" else self._shared.token_remain)(row_id)
                if got is not None:
                    return got
            else:
                bases, part = (self._user_base, "user_quota") if kind == "user" else (self._token_base, "token_remain")
                with self._lock:
                    if self._fresh(bases, row_id, loaded):
                        return bases[row_id][0] + self._unflushed(part, row_id)
            self._load(kind, row_id)
            loaded = True
        raise RuntimeError(f"cannot load the balance of {kind} {row_id}")

    def user_quota(self, user_id: int) -> int:
        """The live balance: what the DB will hold once every pending delta is flushed."""
        return self._balance("user", user_id)

    def token_remain(self, token_id: int) -> int:
        return self._balance("token", token_id)

    def is_cached(self, user_id: int, token_id: int | None) -> bool:
        """True when a check needs no I/O at all (in-process balances seeded and fresh)."""
        if self._shared is not None:
            return False
        with self._lock:
            return self._fresh(self._user_base, user_id) and (
                token_id is None or self._fresh(self._token_base, token_id))

    def unflushed_user_usage(self, user_id: int) -> tuple[int, int]:
        """(used_quota, request_count) this process has charged but not yet written to the DB."""
        with self._lock:
            return self._unflushed("user_used", user_id), self._unflushed("user_requests", user_id)

    def forget_user(self, user_id: int) -> None:
        """The users row was changed outside the ledger: re-read its quota on next use."""
        with self._lock:
            self._user_base.pop(user_id, None)
        if self._shared is not None:
            self._shared.forget_user(user_id)

    def forget_token(self, token_id: int) -> None:
        with self._lock:
            self._token_base.pop(token_id, None)
        if self._shared is not None:
            self._shared.forget_token(token_id)

    def discard_user(self, user_id: int, token_ids: list[int], *, shared: bool = True) -> None:
        """The user and these tokens were deleted: drop their balances and their unflushed deltas
        (`shared`: the Redis balances too, which the instance that deleted them does once)."""
        with self._lock:
            self._user_base.pop(user_id, None)
            for part in (self._pending.user_quota, self._pending.user_used, self._pending.user_requests):
                part.pop(user_id, None)
            for token_id in token_ids:
                self._token_base.pop(token_id, None)
                self._pending.token_remain.pop(token_id, None)
                self._pending.token_used.pop(token_id, None)
        if shared and self._shared is not None:
            self._shared.discard(user_id, token_ids)

    # ---- changes --------------------------------------------------------------------------

    def reserve(self, user_id: int, token_id: int | None, amount: int, *, token_unlimited: bool = False,
                trust_quota: int = TRUST_QUOTA) -> int:
        """Check and take `amount` from user and token atomically; returns what was taken.

        0 is returned (nothing taken) when the user is trusted: balance above `trust_quota` and
        the token unlimited or also above it. Raises InsufficientUserQuota / InsufficientTokenQuota.
        """
        amount = int(amount)
        user_loaded = token_loaded = False
        for _ in range(5):
            if self._shared is not None:
                status, value = self._shared.reserve(user_id, token_id, amount, token_unlimited, trust_quota)
                if status == -1:
                    self._load("user", user_id)
                    continue
                if status == -2 and token_id is not None:
                    self._load("token", token_id)
                    continue
                if status == 1:
                    raise InsufficientUserQuota(value, amount)
                if status == 2:
                    raise InsufficientTokenQuota(value, amount)
                with self._lock:
                    seq = self._record_reserve(user_id, token_id, value)
                return Reservation(value, seq)
            with self._lock:
                user_ok = self._fresh(self._user_base, user_id, user_loaded)
                token_ok = token_id is None or self._fresh(self._token_base, token_id, token_loaded)
                if user_ok and token_ok:
                    uq = self._user_base[user_id][0] + self._unflushed("user_quota", user_id)
                    tr = 0
                    if token_id is not None:
                        tr = self._token_base[token_id][0] + self._unflushed("token_remain", token_id)
                    taken = self._decide(uq, tr, amount, token_id is not None, token_unlimited, trust_quota)
                    return Reservation(taken, self._record_reserve(user_id, token_id, taken))
            if not user_ok:
                self._load("user", user_id)
                user_loaded = True
            if token_id is not None and not token_ok:
                self._load("token", token_id)
                token_loaded = True
        raise RuntimeError(f"cannot load the balances of user {user_id} / token {token_id}")

    def _record_reserve(self, user_id: int, token_id: int | None, taken: int) -> int:
        """Under `_lock`: the reservation joins the pending deltas; returns its sequence number."""
        self._pending.reserve(user_id, token_id, taken)
        journal = wal.current()
        if journal is None or not taken:
            return 0
        seq = self._max_seq = journal.next_seq()
        if self._shared is not None:  # only the Redis clean-up after a crash reads it (journal_replay)
            journal.append(["R", seq, user_id, token_id, taken])
        return seq

    @staticmethod
    def _decide(uq: int, tr: int, amount: int, has_token: bool, unlimited: bool, trust: int) -> int:
        if uq <= 0 or uq < amount:
            raise InsufficientUserQuota(uq, amount)
        if uq > trust and (not has_token or unlimited or tr > trust):
            return 0
        if has_token and not unlimited and tr < amount:
            raise InsufficientTokenQuota(tr, amount)
        return amount

    def apply(self, user_id: int, token_id: int | None, *, quota_delta: int = 0, used: int = 0,
              requests: int = 0, channel_id: int = 0, reserved: int = 0) -> None:
        """Spend `quota_delta` more (negative gives back) from user and token; count usage.

        `used` goes to users.used_quota and channels.used_quota; the token's used_quota moves
        with `quota_delta` (the reservation already counted there). `reserved` is the call's
        reservation (a `Reservation` from `reserve`): the journal record names it, see
        `journal_replay`. Callers that need the record on disk await `journal.durable()`.
        """
        with self._lock:
            self._pending.apply(user_id, token_id, quota_delta, used, requests, channel_id)
            journal = wal.current()
            if journal is not None:
                seq = self._max_seq = journal.next_seq()
                journal.append(["A", seq, user_id, token_id, channel_id, quota_delta, used, requests,
                                int(reserved), getattr(reserved, "seq", 0)])
        if self._shared is not None and quota_delta:
            self._shared.apply(user_id, token_id, -quota_delta)

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
                    metrics.ledger_flushed(0.0, True)
                    return True
                self._inflight = batch
                journal = wal.current()  # every record up to _max_seq is in this batch or an earlier one
                mark = (journal.node, self._max_seq) if journal is not None and self._max_seq else None
            try:
                with self._engine().begin() as conn:
                    write_deltas(conn, batch)
                    if mark is not None:  # commits with the batch, or not at all
                        set_mark(conn, mark[0], LEDGER, mark[1])
            except Exception:
                log.exception("quota flush failed; %d rows kept for the next try", sum(map(len, batch.parts())))
                with self._lock:
                    self._pending.merge(batch)
                    self._inflight = None
                metrics.ledger_flushed(batch.since, False)
                return False
            with self._lock:
                for bases, part in ((self._user_base, batch.user_quota), (self._token_base, batch.token_remain)):
                    for row_id, d in part.items():
                        if row_id in bases:
                            value, loaded = bases[row_id]
                            bases[row_id] = (value + d, loaded)
                self._inflight = None
            if self._shared is not None:
                self._shared.flushed(batch.user_quota, batch.token_remain)
            metrics.ledger_flushed(batch.since, True)
            return True

    # ---- asyncio front ----------------------------------------------------------------------

    async def areserve(self, user_id: int, token_id: int | None, amount: int, *, token_unlimited: bool = False,
                       trust_quota: int = TRUST_QUOTA) -> int:
        if self.is_cached(user_id, token_id):  # pure memory: no thread hop
            return self.reserve(user_id, token_id, amount, token_unlimited=token_unlimited, trust_quota=trust_quota)
        return await asyncio.to_thread(self.reserve, user_id, token_id, amount, token_unlimited=token_unlimited,
                                       trust_quota=trust_quota)

    async def aapply(self, user_id: int, token_id: int | None, **kw: int) -> None:
        if self._shared is None:
            self.apply(user_id, token_id, **kw)
        else:
            await asyncio.to_thread(self.apply, user_id, token_id, **kw)

    async def auser_quota(self, user_id: int) -> int:
        if self.is_cached(user_id, None):
            return self.user_quota(user_id)
        return await asyncio.to_thread(self.user_quota, user_id)

    async def atoken_remain(self, token_id: int) -> int:
        if self._shared is None:
            with self._lock:
                if self._fresh(self._token_base, token_id):
                    return self._token_base[token_id][0] + self._unflushed("token_remain", token_id)
        return await asyncio.to_thread(self.token_remain, token_id)


# ---- the process's ledger, its flusher and its bus subscriptions ----------------------------

_ledger: Ledger | None = None
_ledger_lock = threading.Lock()
_flusher: asyncio.Task | None = None
_token_ids: dict[str, int] = {}  # API key -> token id, for the bus (it names tokens by key)


def get_ledger() -> Ledger:
    global _ledger
    if _ledger is None:
        with _ledger_lock:
            if _ledger is None:
                _ledger = Ledger(redis=get_sync_redis())
    return _ledger


def remember_token_key(key: str, token_id: int) -> None:
    """Billing notes which id a key belongs to, so a token invalidation by key reaches the ledger."""
    if _token_ids.get(key) != token_id:
        if len(_token_ids) > 100_000:
            _token_ids.clear()
        _token_ids[key] = token_id


def forget_user(user_id: int) -> None:
    get_ledger().forget_user(user_id)


def forget_token(token_id: int) -> None:
    get_ledger().forget_token(token_id)


def discard_user(user_id: int, token_ids: list[int]) -> None:
    """After a hard delete: no instance keeps a balance or an unflushed charge of the user or its tokens."""
    get_ledger().discard_user(user_id, token_ids)
    bus.publish("user_deleted", f"{user_id}:" + ",".join(str(t) for t in token_ids))


def _on_user_deleted(value: str) -> None:
    user_id, _, token_ids = value.partition(":")
    if user_id.isdigit() and _ledger is not None:
        _ledger.discard_user(int(user_id), [int(t) for t in token_ids.split(",") if t.isdigit()], shared=False)


def _on_user_changed(ident: str) -> None:
    if ident.isdigit() and _ledger is not None:
        _ledger.forget_user(int(ident))


def _on_token_changed(key: str) -> None:
    token_id = _token_ids.get(key)
    if token_id is not None and _ledger is not None:
        _ledger.forget_token(token_id)


bus.subscribe("user", _on_user_changed)
bus.subscribe("token", _on_token_changed)
bus.subscribe("user_deleted", _on_user_deleted)


def flush_all() -> bool:
    """Counters, consume logs and quota_data (every `batch_buffer` flush); True when everything
    reached the DB."""
    journal = wal.current()
    # Records queued before the cut were added to their buffer before it, so they are in the
    # batches below: once all are written, the segments before the cut can go.
    cut = journal.rotate() if journal is not None else None
    ok = batch_buffer.flush_all()
    if ok and journal is not None and cut is not None:
        journal.release(cut)
    return ok


batch_buffer.register_flush(0, lambda: get_ledger().flush())  # counters first: the balances


# Flushes get a thread of their own. In the default pool a flush waiting on the SQLite write lock
# (another worker writing; up to busy_timeout) would hold a thread that a request's balance
# read needs, so requests would queue behind the lock they do not use; one thread also keeps two
# flushes of this process from contending with each other.
_flush_thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="newapi-flush")


async def aflush_all() -> bool:
    """`flush_all` off the event loop, on the flush thread."""
    return await asyncio.get_running_loop().run_in_executor(_flush_thread, flush_all)


async def _flush_forever() -> None:
    interval = max(get_settings().BATCH_UPDATE_INTERVAL, 0.1)
    while True:
        await asyncio.sleep(interval)
        await aflush_all()


@lifecycle.on_startup
async def _start() -> None:
    global _flusher
    # Before the first request: what a crashed process journaled reaches the DB (and Redis) first.
    await asyncio.get_running_loop().run_in_executor(_flush_thread, journal_replay.recover_and_open)
    _flusher = asyncio.create_task(_flush_forever(), name="newapi-ledger-flush")


@lifecycle.on_shutdown
async def _stop() -> None:
    global _flusher
    if _flusher is not None:
        _flusher.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await _flusher
        _flusher = None
    for attempt in range(3):  # the last chance to write: ride out a short DB hiccup
        if await aflush_all():
            await asyncio.to_thread(journal_replay.retire, True)
            return
        await asyncio.sleep(0.5 * (attempt + 1))
    log.error("shutdown flush failed; unwritten counter deltas: %s", get_ledger().pending())
    await asyncio.to_thread(journal_replay.retire, False)  # kept: the next start replays it


@lifecycle.on_reset
def _reset() -> None:
    global _ledger, _flusher
    journal_replay.discard()
    _ledger = None
    _flusher = None
    _token_ids.clear()
