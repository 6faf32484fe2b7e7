"""Hourly usage per user and model (`quota_data`): aggregated in memory, upserted in batches.

The dashboard charts read these rows. One increment per settled call; the flush upserts the row of
(user_id, model_name, hour) (a unique key) inside one transaction, and merges the increments back if
that transaction fails. Increments are journaled (`journal.py`, record "Q") and the flush marks how
far it got in its transaction, so a crash loses none and a replay adds none twice.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.engine import Connection

from backend import lifecycle
from backend.db import get_relay_engine
from backend.services import journal as wal
from backend.services.journal_marks import QUOTA, set_mark

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


class QuotaDataBuffer:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._flush_lock = threading.Lock()
        self._sums: Batch = {}
        self._max_seq = 0  # the highest journal sequence number among the increments taken so far

    def add(self, user_id: int, username: str, model: str, created_at: int, token_used: int, quota: int,
            count: int = 1) -> None:
        with self._lock:
            add_to(self._sums, user_id, username, model, created_at, token_used, quota, count)
            journal = wal.current()
            if journal is not None:
                seq = self._max_seq = journal.next_seq()
                journal.append(["Q", seq, user_id, username, model, int(created_at), token_used, quota, count])

    def pending(self) -> dict[tuple[int, str, int], tuple[int, int, int]]:
        with self._lock:
            return {k: (s.token_used, s.count, s.quota) for k, s in self._sums.items()}

    def flush(self) -> bool:
        with self._flush_lock:
            with self._lock:
                batch, self._sums = self._sums, {}
                journal = wal.current()
                mark = (journal.node, self._max_seq) if journal is not None and self._max_seq else None
            if not batch:
                return True
            try:
                with get_relay_engine().begin() as conn:
                    write_sums(conn, batch)
                    if mark is not None:  # commits with the sums, or not at all
                        set_mark(conn, mark[0], QUOTA, mark[1])
            except Exception:
                log.exception("quota_data flush failed; %d buckets kept for the next try", len(batch))
                with self._lock:
                    for key, s in batch.items():
                        mine = self._sums.setdefault(key, _Sums(s.username))
                        mine.token_used += s.token_used
                        mine.count += s.count
                        mine.quota += s.quota
                return False
            return True


_buffer = QuotaDataBuffer()


def record(user_id: int, username: str, model: str, created_at: int, token_used: int, quota: int) -> None:
    _buffer.add(user_id, username, model, created_at, token_used, quota)


def pending() -> dict[tuple[int, str, int], tuple[int, int, int]]:
    return _buffer.pending()


def flush() -> bool:
    return _buffer.flush()


@lifecycle.on_reset
def _reset() -> None:
    global _buffer
    _buffer = QuotaDataBuffer()
