"""Consume and error log rows (`logs`), buffered and bulk-inserted into the log database.

Rows go to `get_relay_log_engine()` (LOG_SQL_DSN may put `logs` in a database of its own; the relay's
pool, so console traffic cannot hold the flush up). The ledger's flusher writes them every
BATCH_UPDATE_INTERVAL seconds and at shutdown; a failed insert keeps the rows for the next try.
Each row is journaled too (`journal.py`, record "G"), and the insert marks how far it got in the
same transaction, so a crash loses no row and a replay adds none twice (`batch_buffer.py`).
"""

from __future__ import annotations

import logging
import time
from typing import Any

import orjson
from sqlalchemy import Table, insert, inspect
from sqlalchemy.engine import Connection

from backend import lifecycle
from backend.db import get_relay_log_engine
from backend.models import Log
from backend.services.batch_buffer import JournaledBuffer, register_flush
from backend.services.journal_marks import LOG

log = logging.getLogger("newapi.usage_log")


def _core_table() -> Table:
    """The Core table behind `Log` (rows go in through Core, in bulk); SQLModel leaves `__table__` untyped."""
    table = inspect(Log).local_table
    assert isinstance(table, Table)
    return table


_TABLE = _core_table()
_COLUMNS = {c.name for c in _TABLE.columns} - {"id"}
MAX_BUFFERED_ROWS = 200_000  # a log DB down for long must not exhaust memory; counters are kept apart
_INSERT_CHUNK = 1000


class LogRows(list[dict[str, Any]]):
    """A batch of `logs` rows (oldest first)."""

    def merge(self, other: LogRows) -> None:
        self.extend(other)


class LogBuffer(JournaledBuffer[LogRows]):
    """Rows waiting for the log database; bounded, the oldest dropped first when it is down for long."""

    def __init__(self) -> None:
        super().__init__("log", LOG, LogRows, insert_rows, lambda: get_relay_log_engine())
        self.dropped = 0

    def add_row(self, row: dict[str, Any]) -> None:
        unknown = set(row) - _COLUMNS
        if unknown:
            raise ValueError(f"unknown log columns: {sorted(unknown)}")
        overflow = 0

        def append(rows: LogRows) -> None:
            nonlocal overflow
            rows.append(row)
            overflow = len(rows) - MAX_BUFFERED_ROWS
            if overflow > 0:
                del rows[:overflow]
                self.dropped += overflow

        self.add(append, lambda seq: ["G", seq, row])
        if overflow > 0:
            log.error("log buffer full: dropped %d oldest rows (%d in all)", overflow, self.dropped)

    def pending(self) -> list[dict[str, Any]]:
        return self.snapshot(list)


def insert_rows(conn: Connection, rows: list[dict[str, Any]]) -> None:
    for start in range(0, len(rows), _INSERT_CHUNK):
        conn.execute(insert(_TABLE), _complete(rows[start:start + _INSERT_CHUNK]))


def _complete(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """executemany needs every row to carry the same keys."""
    base = {"user_id": 0, "created_at": 0, "type": 0, "content": "", "username": "", "token_name": "",
            "model_name": "", "quota": 0, "prompt_tokens": 0, "completion_tokens": 0, "use_time": 0,
            "is_stream": False, "channel_id": 0, "token_id": 0, "group": "", "ip": "", "other": ""}
    return [{**base, **r} for r in rows]


_buffer = LogBuffer()


def record(row: dict[str, Any]) -> None:
    """Queue one `logs` row; `other` may be a dict (stored as JSON)."""
    row = dict(row)
    if isinstance(row.get("other"), dict):
        row["other"] = orjson.dumps(row["other"]).decode()
    row.setdefault("created_at", int(time.time()))
    _buffer.add_row(row)


def pending() -> list[dict[str, Any]]:
    return _buffer.pending()


def flush() -> bool:
    return _buffer.flush()


register_flush(10, flush)  # after the ledger's counters


@lifecycle.on_reset
def _reset() -> None:
    global _buffer
    _buffer = LogBuffer()
