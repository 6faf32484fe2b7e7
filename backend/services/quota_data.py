"""Hourly usage per user and model (`quota_data`): aggregated in memory, upserted in batches.

The dashboard charts read these rows. One increment per settled call; the flush upserts the row of
(user_id, model_name, hour) (a unique key) inside one transaction, and merges the increments back if
that transaction fails. Increments are journaled (`journal.py`, record "Q") and the flush marks how
far it got in its transaction, so a crash loses none and a replay adds none twice.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.engine import Connection

from backend import lifecycle
from backend.db import get_relay_engine
from backend.services.batch_buffer import JournaledBuffer, register_flush
from backend.services.journal_marks import QUOTA

log = logging.getLogger("newapi.quota_data")


@dataclass
class _Sums:
    username: str
    token_used: int = 0
    count: int = 0
    quota: int = 0


# One statement per bucket, atomic on the unique key (user_id, model_name, created_at): two instances
# writing the same new hour at once end with one row holding both sums (an UPDATE-then-INSERT let
# both insert). PostgreSQL and SQLite say ON CONFLICT, MySQL/MariaDB ON DUPLICATE KEY.
_INSERT = ("INSERT INTO quota_data (user_id, username, model_name, created_at, token_used, count, quota) "
           "VALUES (:uid, :un, :m, :h, :t, :c, :q) ")
UPSERT = _INSERT + (
    "ON CONFLICT (user_id, model_name, created_at) DO UPDATE SET token_used = quota_data.token_used + "
    "excluded.token_used, count = quota_data.count + excluded.count, quota = quota_data.quota + excluded.quota")
UPSERT_MYSQL = _INSERT + (
    "ON DUPLICATE KEY UPDATE token_used = token_used + VALUES(token_used), count = count + VALUES(count), "
    "quota = quota + VALUES(quota)")


def hour_bucket(ts: int) -> int:
    return int(ts) - int(ts) % 3600


Batch = dict[tuple[int, str, int], _Sums]


def add_to(batch: Batch, user_id: int, username: str, model: str, created_at: int, token_used: int, quota: int,
           count: int = 1) -> None:
    key = (user_id, model, hour_bucket(created_at))
    sums = batch.get(key)
    if sums is None:
        sums = batch[key] = _Sums(username)
    sums.token_used += token_used
    sums.count += count
    sums.quota += quota


def write_sums(conn: Connection, batch: Batch) -> None:
    """Upsert each bucket's row inside the caller's transaction (atomic on the unique key)."""
    if not batch:
        return
    upsert = text(UPSERT_MYSQL if conn.dialect.name == "mysql" else UPSERT)
    conn.execute(upsert, [
        {"uid": user_id, "m": model, "h": hour, "t": s.token_used, "c": s.count, "q": s.quota, "un": s.username}
        for (user_id, model, hour), s in sorted(batch.items())])


class Sums(dict[tuple[int, str, int], _Sums]):
    """A batch of hourly increments by (user_id, model_name, hour)."""

    def merge(self, other: Sums) -> None:
        for key, s in other.items():
            mine = self.setdefault(key, _Sums(s.username))
            mine.token_used += s.token_used
            mine.count += s.count
            mine.quota += s.quota


class QuotaDataBuffer(JournaledBuffer[Sums]):
    def __init__(self) -> None:
        super().__init__("quota_data", QUOTA, Sums, write_sums, lambda: get_relay_engine())

    def add_sums(self, user_id: int, username: str, model: str, created_at: int, token_used: int, quota: int,
                 count: int = 1) -> None:
        self.add(lambda batch: add_to(batch, user_id, username, model, created_at, token_used, quota, count),
                 lambda seq: ["Q", seq, user_id, username, model, int(created_at), token_used, quota, count])

    def pending(self) -> dict[tuple[int, str, int], tuple[int, int, int]]:
        return self.snapshot(lambda batch: {k: (s.token_used, s.count, s.quota) for k, s in batch.items()})


_buffer = QuotaDataBuffer()


def record(user_id: int, username: str, model: str, created_at: int, token_used: int, quota: int) -> None:
    _buffer.add_sums(user_id, username, model, created_at, token_used, quota)


def pending() -> dict[tuple[int, str, int], tuple[int, int, int]]:
    return _buffer.pending()


def flush() -> bool:
    return _buffer.flush()


register_flush(20, flush)  # after the ledger's counters and the log rows


@lifecycle.on_reset
def _reset() -> None:
    global _buffer
    _buffer = QuotaDataBuffer()
