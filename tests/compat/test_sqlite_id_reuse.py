"""An SQLite database whose identity tables lack AUTOINCREMENT (made by newapi-py before it said so,
or by hand) is rebuilt with it on migrate: rows, indexes and unique constraints kept, and an id
deleted afterwards is never handed out again."""

from __future__ import annotations

import pytest
from sqlalchemy import MetaData, text
from sqlalchemy.exc import IntegrityError
from sqlmodel import SQLModel

from backend.config import reset_settings
from backend.db import get_engine, get_log_engine, reset_engines, session_scope
from backend.migrate import migrate
from backend.models import User
from tests.compat.test_new_api_database import KEY, build_new_api_database

IDENTITY_TABLES = ("users", "tokens", "channels", "redemptions", "top_ups", "logs")


def _create_sql(table: str, engine=None) -> str:
    with (engine or get_engine()).connect() as conn:
        return conn.execute(text("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = :n"),
                            {"n": table}).scalar() or ""


def _insert_user(conn, name: str) -> int:
    conn.execute(text("INSERT INTO users (username, password, display_name, aff_code) VALUES (:n, 'x', :n, :n)"),
                 {"n": name})
    return conn.execute(text("SELECT id FROM users WHERE username = :n"), {"n": name}).scalar()


def test_new_api_layout_without_autoincrement_is_rebuilt_in_place(sqlite_storage):
    build_new_api_database(sqlite_autoincrement=False)
    assert "AUTOINCREMENT" not in _create_sql("users").upper()
    migrate()
    for table in IDENTITY_TABLES:
        assert "AUTOINCREMENT" in _create_sql(table).upper(), table
    assert "AUTOINCREMENT" not in _create_sql("quota_data").upper()  # aggregates: ids name nothing

    engine = get_engine()
    with engine.begin() as conn:
        alice = conn.execute(text("SELECT id, quota, used_quota, aff_code FROM users WHERE username = 'alice'")).one()
        assert tuple(alice) == (2, 5000000, 12345, "wxyz")
        assert conn.execute(text("SELECT remain_quota, user_id FROM tokens WHERE `key` = :k"), {"k": KEY}).one() == (777, 2)
        assert conn.execute(text("SELECT open_ai_organization FROM channels WHERE id = 1")).scalar() == "org-1"
    # the inline UNIQUE constraints of new-api's DDL survived the copy
    for stmt in ("INSERT INTO users (username, password) VALUES ('alice', 'x')",
                 "INSERT INTO tokens (`key`, user_id) VALUES (:k, 1)"):
        with pytest.raises(IntegrityError), engine.begin() as conn:
            conn.execute(text(stmt), {"k": KEY})

    with engine.begin() as conn:
        conn.execute(text("DELETE FROM users WHERE id = 2"))  # alice was the newest user
        assert _insert_user(conn, "carol") == 3
    migrate()  # a second run changes nothing
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM users")).scalar() == 2


def _old_newapi_py_schema() -> None:
    """The schema newapi-py created before its identity tables said AUTOINCREMENT, at revision 0001."""
    md = MetaData()
    for table in SQLModel.metadata.sorted_tables:
        if table.name != "user_sessions":  # added by 0002
            copy = table.to_metadata(md)
            copy.dialect_options["sqlite"]["autoincrement"] = False
    engine = get_engine()
    with engine.begin() as conn:
        for table in reversed(SQLModel.metadata.sorted_tables):
            conn.execute(text(f'DROP TABLE IF EXISTS "{table.name}"'))
        conn.execute(text("UPDATE alembic_version SET version_num = '0001'"))
    md.create_all(engine)


def _add_user(name: str) -> int:
    with session_scope() as s:
        user = User(username=name, password="x", display_name=name, aff_code=name)
        s.add(user)
        s.flush()
        return user.id


def test_old_newapi_py_database_is_rebuilt_with_rows_and_indexes(sqlite_storage):
    _old_newapi_py_schema()
    engine = get_engine()
    assert [_add_user(name) for name in ("a", "b", "c")] == [1, 2, 3]
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM users WHERE id = 3"))
        conn.execute(text("INSERT INTO logs (user_id, created_at, type, content, username, token_name, model_name, "
                          "quota, prompt_tokens, completion_tokens, use_time, is_stream, channel_id, token_id, "
                          "\"group\", ip) VALUES (2, 1, 2, 'x', 'b', '', 'm', 5, 0, 0, 0, 0, 0, 0, '', '')"))
    assert "AUTOINCREMENT" not in _create_sql("users").upper()
    migrate()
    assert "AUTOINCREMENT" in _create_sql("users").upper() and "AUTOINCREMENT" in _create_sql("logs").upper()
    assert "user_sessions" in {r[0] for r in engine.connect().execute(text("SELECT name FROM sqlite_master"))}
    with engine.begin() as conn:
        assert conn.execute(text("SELECT id, username FROM users ORDER BY id")).all() == [(1, "a"), (2, "b")]
        assert conn.execute(text("SELECT user_id, quota FROM logs")).all() == [(2, 5)]
        indexes = {r[0] for r in conn.execute(text("SELECT name FROM sqlite_master WHERE type = 'index'"))}
        assert {"ix_users_username", "ix_users_aff_code", "ix_logs_user_id"} <= indexes
        # b (id 2) is the newest now: deleting it does not free its id
        conn.execute(text("DELETE FROM users WHERE id = 2"))
    assert _add_user("d") == 3
    with pytest.raises(IntegrityError):
        _add_user("a")  # ix_users_username is still unique


def test_logs_on_their_own_sqlite_database_are_rebuilt_too(sqlite_storage, monkeypatch, tmp_path):
    monkeypatch.setenv("LOG_SQL_DSN", f"sqlite:///{tmp_path / 'logs.db'}")
    reset_settings()
    reset_engines()
    md = MetaData()
    logs = SQLModel.metadata.tables["logs"].to_metadata(md)
    logs.dialect_options["sqlite"]["autoincrement"] = False
    md.create_all(get_log_engine())
    assert "AUTOINCREMENT" not in _create_sql("logs", get_log_engine()).upper()
    migrate()
    assert "AUTOINCREMENT" in _create_sql("logs", get_log_engine()).upper()
