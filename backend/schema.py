"""Bring a database to the current schema without losing rows.

A new database gets every table. A One API or new-api database keeps its tables and rows and gets
only the columns it lacks, so it opens in place (new-api's own AutoMigrate works the same way).
An SQLite table that must never reuse ids but was created without AUTOINCREMENT (by newapi-py
before it said so) is rebuilt with it, rows and indexes kept.
"""

from __future__ import annotations

from alembic.operations import Operations
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Integer, inspect, text
from sqlalchemy.engine import Connection
from sqlalchemy.schema import Column, ColumnDefault, Table
from sqlmodel import SQLModel

import backend.models  # noqa: F401  (registers the tables)
from backend.models.ids import never_reuses_ids


def _default_sql(col: Column, dialect: str) -> str:
    """A DEFAULT clause so existing rows get the value the model would give them."""
    default = col.default.arg if isinstance(col.default, ColumnDefault) and not callable(col.default.arg) else None
    if default is None:
        if col.nullable:
            return ""
        default = "" if col.type.python_type is str else 0
    if isinstance(default, bool):
        return " DEFAULT " + (("true" if default else "false") if dialect == "postgresql" else str(int(default)))
    if isinstance(default, int | float):
        return f" DEFAULT {default}"
    return " DEFAULT '" + str(default).replace("'", "''") + "'"


def add_missing_columns(conn: Connection, table: Table) -> list[str]:
    existing = {c["name"] for c in inspect(conn).get_columns(table.name)}
    added = []
    preparer = conn.dialect.identifier_preparer
    for col in table.columns:
        if col.name in existing or col.primary_key:
            continue
        ddl_type = col.type.compile(dialect=conn.dialect)
        default = _default_sql(col, conn.dialect.name)
        conn.execute(
            text(f"ALTER TABLE {preparer.quote(table.name)} ADD COLUMN {preparer.quote(col.name)} {ddl_type}{default}")
        )
        added.append(col.name)
    return added


def ensure_schema(conn: Connection, tables: list[str] | None = None) -> dict[str, list[str]]:
    """Create missing tables and add missing columns. Returns the columns added per table."""
    chosen = [t for t in SQLModel.metadata.sorted_tables if tables is None or t.name in tables]
    SQLModel.metadata.create_all(conn, tables=chosen, checkfirst=True)
    return {t.name: cols for t in chosen if (cols := add_missing_columns(conn, t))}


def _lacks_autoincrement(conn: Connection, table: str) -> bool:
    sql = conn.execute(
        text("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = :n"), {"n": table}
    ).scalar()
    return sql is not None and "AUTOINCREMENT" not in sql.upper()


def ensure_sqlite_autoincrement(conn: Connection, tables: list[str] | None = None) -> list[str]:
    """Rebuild the SQLite tables (of those that must never reuse ids) created without AUTOINCREMENT.

    SQLite cannot add AUTOINCREMENT in place: alembic's batch mode copies the table (its reflected
    columns, extra ones a newer new-api added included, indexes and unique constraints) into a new
    one declared with it. The copied ids seed `sqlite_sequence`, so the next id follows the largest
    kept one. Other databases never reuse ids; nothing to do there. Returns the tables rebuilt.
    """
    if conn.dialect.name != "sqlite":
        return []
    chosen = [t.name for t in SQLModel.metadata.sorted_tables
              if never_reuses_ids(t) and (tables is None or t.name in tables)]
    rebuilt = [name for name in chosen if _lacks_autoincrement(conn, name)]
    ops = Operations(MigrationContext.configure(conn))
    for name in rebuilt:
        inline_uniques = _unreflected_uniques(conn, name)
        # `id` as INTEGER: AUTOINCREMENT is only allowed on SQLite's rowid alias, which a BIGINT id is not.
        with ops.batch_alter_table(name, recreate="always", table_kwargs={"sqlite_autoincrement": True}) as batch:
            batch.alter_column("id", existing_type=Integer(), type_=Integer())
            for cols in inline_uniques:
                batch.create_unique_constraint(f"uq_{name}_{'_'.join(cols)}", cols)
    return rebuilt


def _unreflected_uniques(conn: Connection, table: str) -> list[list[str]]:
    """Column lists of UNIQUE constraints written inline on a column (`key char(48) UNIQUE`, as GORM
    does): SQLite backs them with an automatic index that reflection, and so the batch copy, skips."""
    reflected = {tuple(u["column_names"]) for u in inspect(conn).get_unique_constraints(table)}
    found = []
    for row in conn.execute(text(f"PRAGMA index_list({conn.dialect.identifier_preparer.quote(table)})")).mappings():
        if row["origin"] != "u" or not row["name"].startswith("sqlite_autoindex_"):
            continue
        cols = [r["name"] for r in conn.execute(text(f"PRAGMA index_info(\"{row['name']}\")")).mappings()]
        if tuple(cols) not in reflected:
            found.append(cols)
    return found


def ensure_indexes(conn: Connection, tables: list[str] | None = None) -> list[str]:
    """Create the models' indexes that an existing table lacks (by name). Returns their names."""
    made: list[str] = []
    for table in SQLModel.metadata.sorted_tables:
        if tables is not None and table.name not in tables:
            continue
        existing = {ix["name"] for ix in inspect(conn).get_indexes(table.name)}
        existing |= {uc["name"] for uc in inspect(conn).get_unique_constraints(table.name)}
        for index in table.indexes:
            if index.name is not None and index.name not in existing:  # a CREATE INDEX needs a name
                index.create(conn)
                made.append(index.name)
    return made


def merge_quota_data_duplicates(conn: Connection) -> int:
    """Fold rows sharing (user_id, model_name, created_at) into the oldest one, summing the counters,
    so the unique key can be added (instances flushing the same new hour at once used to insert one
    row each). Returns the rows removed."""
    groups = conn.execute(text(
        "SELECT user_id, model_name, created_at, MIN(id), SUM(token_used), SUM(count), SUM(quota), COUNT(*) "
        "FROM quota_data GROUP BY user_id, model_name, created_at HAVING COUNT(*) > 1")).all()
    removed = 0
    for user_id, model, hour, keep, token_used, count, quota, rows in groups:
        conn.execute(text("UPDATE quota_data SET token_used = :t, count = :c, quota = :q WHERE id = :id"),
                     {"t": token_used, "c": count, "q": quota, "id": keep})
        conn.execute(text("DELETE FROM quota_data WHERE user_id = :u AND model_name = :m AND created_at = :h "
                          "AND id <> :id"), {"u": user_id, "m": model, "h": hour, "id": keep})
        removed += rows - 1
    return removed
