"""Buffered log rows (LOG_SQL_DSN honoured) and the quota_data hourly upsert."""

import pytest
from sqlalchemy import func, text
from sqlmodel import SQLModel, select

from backend.config import reset_settings
from backend.db import get_engine, get_log_engine, reset_engines, session_scope
from backend.models import Log, QuotaData
from backend.services import quota_data, usage_log


def test_rows_are_buffered_then_bulk_inserted(storage):
    usage_log.record({"user_id": 1, "type": 2, "quota": 5, "other": {"a": 1}})
    usage_log.record({"user_id": 2, "type": 5, "content": "boom"})
    assert len(usage_log.pending()) == 2
    with session_scope() as s:
        assert s.exec(select(Log)).all() == []
    assert usage_log.flush()
    assert usage_log.pending() == []
    with session_scope() as s:
        rows = s.exec(select(Log).order_by(Log.id)).all()
    assert [(r.user_id, r.type, r.quota, r.content) for r in rows] == [(1, 2, 5, ""), (2, 5, 0, "boom")]
    assert rows[0].other == '{"a":1}' and rows[0].created_at > 0


def test_unknown_columns_are_refused(sqlite_storage):
    with pytest.raises(ValueError):
        usage_log.record({"user_id": 1, "no_such_column": 3})


def test_logs_go_to_the_log_database(sqlite_storage, monkeypatch, tmp_path):
    log_db = tmp_path / "logs.db"
    monkeypatch.setenv("LOG_SQL_DSN", f"sqlite:///{log_db}")
    reset_settings()
    reset_engines()
    SQLModel.metadata.create_all(get_log_engine(), tables=[Log.__table__])
    usage_log.record({"user_id": 7, "type": 2, "quota": 9})
    assert usage_log.flush()
    with get_log_engine().connect() as conn:
        assert conn.execute(text("SELECT user_id, quota FROM logs")).all() == [(7, 9)]
    with get_engine().connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM logs")).scalar() == 0


def test_failed_insert_keeps_rows_in_order(sqlite_storage, monkeypatch):
    usage_log.record({"user_id": 1})
    real = usage_log.get_relay_log_engine
    monkeypatch.setattr(usage_log, "get_relay_log_engine", lambda: (_ for _ in ()).throw(RuntimeError("down")))
    assert not usage_log.flush()
    usage_log.record({"user_id": 2})
    monkeypatch.setattr(usage_log, "get_relay_log_engine", real)
    assert usage_log.flush()
    with session_scope() as s:
        assert [r.user_id for r in s.exec(select(Log).order_by(Log.id)).all()] == [1, 2]


def test_quota_data_upserts_by_user_model_hour(storage):
    hour = 1_700_000_000 - 1_700_000_000 % 3600
    with session_scope() as s:  # a row another instance already wrote for this hour
        s.add(QuotaData(user_id=1, username="u", model_name="gpt-4o", created_at=hour, token_used=10, count=1, quota=100))
    quota_data.record(1, "u", "gpt-4o", hour + 5, 20, 200)
    quota_data.record(1, "u", "gpt-4o", hour + 3599, 30, 300)
    quota_data.record(1, "u", "gpt-4o", hour + 3600, 1, 1)  # next hour
    quota_data.record(1, "u", "o1", hour + 1, 2, 2)
    assert quota_data.pending()[(1, "gpt-4o", hour)] == (50, 2, 500)
    assert quota_data.flush()
    with session_scope() as s:
        rows = {(r.model_name, r.created_at): (r.token_used, r.count, r.quota) for r in s.exec(select(QuotaData)).all()}
    assert rows == {
        ("gpt-4o", hour): (60, 3, 600),
        ("gpt-4o", hour + 3600): (1, 1, 1),
        ("o1", hour): (2, 1, 2),
    }


def test_quota_data_failure_merges_back(sqlite_storage, monkeypatch):
    quota_data.record(1, "u", "m", 3600, 5, 50)
    real = quota_data.get_relay_engine
    monkeypatch.setattr(quota_data, "get_relay_engine", lambda: (_ for _ in ()).throw(RuntimeError("down")))
    assert not quota_data.flush()
    quota_data.record(1, "u", "m", 3601, 5, 50)
    monkeypatch.setattr(quota_data, "get_relay_engine", real)
    assert quota_data.flush()
    with session_scope() as s:
        [row] = s.exec(select(QuotaData)).all()
    assert (row.token_used, row.count, row.quota, row.created_at) == (10, 2, 100, 3600)


def test_many_rows_are_inserted_in_chunks_in_one_flush(storage):
    for i in range(2500):
        usage_log.record({"user_id": i, "type": 2, "quota": 1})
    assert usage_log.flush()
    with session_scope() as s:
        assert s.exec(select(func.count(Log.id), func.sum(Log.quota))).one() == (2500, 2500)


def test_buffer_is_bounded_while_the_log_db_is_down(sqlite_storage, monkeypatch):
    monkeypatch.setattr(usage_log, "MAX_BUFFERED_ROWS", 10)
    for i in range(15):
        usage_log.record({"user_id": i})
    assert [r["user_id"] for r in usage_log.pending()] == list(range(5, 15))  # the oldest went first
