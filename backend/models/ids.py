"""Row ids that are never handed out twice.

SQLite reuses the largest rowid after that row is deleted unless the table says AUTOINCREMENT,
so a user registered right after the newest user was deleted would get the old id, and with it
whatever still names that id (sessions, logs, charges not yet flushed). Tables whose id is an
identity carry `NO_ID_REUSE`; PostgreSQL sequences and MySQL AUTO_INCREMENT never go back anyway.
`backend.schema.ensure_sqlite_autoincrement` rebuilds an older SQLite table that lacks it.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table


def no_id_reuse() -> dict[str, Any]:
    """`__table_args__` of a table whose integer id names something (a user, a key, a channel)."""
    return {"sqlite_autoincrement": True}


def never_reuses_ids(table: Table) -> bool:
    return bool(table.dialect_options["sqlite"]["autoincrement"])
