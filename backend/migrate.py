"""`newapi migrate`: alembic to head on the main database, plus the logs table on LOG_SQL_DSN."""

from __future__ import annotations

import time
from pathlib import Path

from alembic.config import Config
from sqlmodel import select

from alembic import command
from backend.config import get_settings
from backend.db import get_engine, get_log_engine, session_scope
from backend.models import Setup, User
from backend.models.enums import Role
from backend.schema import ensure_indexes, ensure_schema, ensure_sqlite_autoincrement

ROOT = Path(__file__).resolve().parent.parent
VERSION = "0.1.0"


def alembic_config() -> Config:
    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(ROOT / "alembic"))
    return cfg


def migrate() -> None:
    cfg = alembic_config()
    with get_engine().begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
    if get_settings().LOG_SQL_DSN:
        with get_log_engine().begin() as conn:
            ensure_schema(conn, tables=["logs", "ledger_journal_state"])  # the log flush marks its own progress
            ensure_sqlite_autoincrement(conn, tables=["logs"])
            ensure_indexes(conn, tables=["logs"])
    mark_upgraded_instance_initialised()


def mark_upgraded_instance_initialised() -> None:
    """A One API / old new-api database has a root user but no setups row: record it as set up."""
    with session_scope() as s:
        if s.exec(select(Setup)).first() is not None:
            return
        if s.exec(select(User).where(User.role == Role.ROOT)).first() is not None:
            s.add(Setup(version=VERSION, initialized_at=int(time.time())))
