"""How far a journal is in the database: one `ledger_journal_state` row per node and kind.

A flush calls `set_mark` inside the transaction that writes its batch, so the mark and the batch
commit together or not at all; the replay skips records at or below the mark.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine

LEDGER, LOG, QUOTA = "ledger", "log", "quota"


def set_mark(conn: Connection, node: str, kind: str, seq: int) -> None:
    params = {"n": node, "k": kind, "s": int(seq)}
    hit = conn.execute(text("UPDATE ledger_journal_state SET seq = :s WHERE node = :n AND kind = :k"), params)
    if hit.rowcount == 0:  # MySQL counts matched rows here too (SQLAlchemy sets CLIENT_FOUND_ROWS)
        conn.execute(text("INSERT INTO ledger_journal_state (node, kind, seq) VALUES (:n, :k, :s)"), params)


def marks(conn: Connection, node: str) -> dict[str, int]:
    rows = conn.execute(text("SELECT kind, seq FROM ledger_journal_state WHERE node = :n"), {"n": node}).all()
    return {str(kind): int(seq) for kind, seq in rows}


def drop_marks(engine: Engine, node: str) -> None:
    """The node's journal is gone: its rows are no longer needed."""
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM ledger_journal_state WHERE node = :n"), {"n": node})
