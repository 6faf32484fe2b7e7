"""Log retention (LogRetentionDays, the daily job, batched deletes), the log and quota_data indexes
an upgraded database gains, and one quota_data row per hour when two writers flush it at once
(old duplicates merged by the migration). On each database."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import inspect, text
from sqlmodel import select

from backend.db import get_engine, session_scope
from backend.models import Log, QuotaData
from backend.schema import ensure_indexes, merge_quota_data_duplicates
from backend.services import log_queries, log_retention, options
from backend.services.quota_data import QuotaDataBuffer, hour_bucket
from tests.conftest import mark_schema_dirty

DAY = 86_400
NOW = 1_800_000_000


def add_logs(*ages_days: float) -> None:
    with session_scope() as s:
        for age in ages_days:
            s.add(Log(user_id=1, created_at=int(NOW - age * DAY), type=2, content=f"{age}"))


def log_ages() -> list[str]:
    with session_scope() as s:
        return sorted(r.content for r in s.exec(select(Log)).all())


def test_retention_keeps_the_last_days_only(storage) -> None:
    add_logs(0, 1, 6.9, 7.1, 30, 400)
    assert log_retention.prune(0, now=NOW) == 0  # 0 keeps everything
    assert len(log_ages()) == 6
    assert log_retention.prune(7, now=NOW) == 3
    assert log_ages() == ["0", "1", "6.9"]


def test_deletes_go_in_batches(storage) -> None:
    add_logs(*[10 + i for i in range(7)], 1)
    assert log_queries.delete_before(NOW - 5 * DAY, batch=3) == 7  # three batches: 3 + 3 + 1
    assert log_ages() == ["1"]


async def test_the_daily_job_reads_the_option(storage, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(log_retention.time, "time", lambda: NOW)
    add_logs(1, 10)
    await log_retention._run()
    assert len(log_ages()) == 2  # default 0: nothing deleted
    options.update("LogRetentionDays", "5")
    await log_retention._run()
    assert log_ages() == ["1"]


def test_the_job_runs_soon_after_start_then_daily() -> None:
    log_retention._reset()
    assert [log_retention._interval() for _ in range(3)] == [log_retention.FIRST_RUN_S, DAY, DAY]


def test_migrated_tables_have_the_console_indexes(storage) -> None:
    found = inspect(get_engine())
    log_indexes = {ix["name"] for ix in found.get_indexes("logs")}
    assert {"idx_created_at_id", "idx_user_id_id", "idx_created_at_type", "index_username_model_name"} <= log_indexes
    qd = {ix["name"]: ix for ix in found.get_indexes("quota_data")}
    qd |= {uc["name"]: {**uc, "unique": True} for uc in found.get_unique_constraints("quota_data")}
    assert qd["uidx_qdt_user_model_hour"]["unique"]
    assert {"idx_qdt_user_created", "idx_qdt_model_user_name"} <= set(qd)


def _rows() -> list[tuple[int, str, int, int, int, int]]:
    with session_scope() as s:
        return sorted((r.user_id, r.model_name, r.created_at, r.token_used, r.count, r.quota)
                      for r in s.exec(select(QuotaData)).all())


def test_two_writers_flushing_the_same_new_hours_make_one_row_each(storage) -> None:
    hours = [hour_bucket(NOW) + i * 3600 for i in range(20)]
    writers = [QuotaDataBuffer(), QuotaDataBuffer()]
    for n, buffer in enumerate(writers, start=1):
        for hour in hours:
            buffer.add_sums(7, "alice", "gpt-4o", hour, token_used=10 * n, quota=100 * n)
    start = threading.Barrier(2)
    results: list[bool] = []

    def flush(buffer: QuotaDataBuffer) -> None:
        start.wait()
        results.append(buffer.flush())

    threads = [threading.Thread(target=flush, args=(b,)) for b in writers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert results == [True, True]
    assert _rows() == [(7, "gpt-4o", h, 30, 2, 300) for h in hours]


def test_the_migration_merges_old_duplicate_rows(storage) -> None:
    engine = get_engine()
    mark_schema_dirty(storage.name)  # the unique index is dropped and made again here
    with engine.begin() as conn:
        quote = engine.dialect.identifier_preparer.quote
        on = f" ON {quote('quota_data')}" if engine.dialect.name == "mysql" else ""
        conn.execute(text(f"DROP INDEX {quote('uidx_qdt_user_model_hour')}{on}"))
        for token_used, count, quota in ((1, 1, 10), (2, 1, 20), (4, 2, 40)):
            conn.execute(text("INSERT INTO quota_data (user_id, username, model_name, created_at, token_used, count, "
                              "quota) VALUES (3, 'bob', 'm', 3600, :t, :c, :q)"), {"t": token_used, "c": count, "q": quota})
        conn.execute(text("INSERT INTO quota_data (user_id, username, model_name, created_at, token_used, count, "
                          "quota) VALUES (3, 'bob', 'm', 7200, 5, 1, 50)"))
    with engine.begin() as conn:
        assert merge_quota_data_duplicates(conn) == 2
        assert ensure_indexes(conn, tables=["quota_data"]) == ["uidx_qdt_user_model_hour"]
    assert _rows() == [(3, "m", 3600, 7, 4, 70), (3, "m", 7200, 5, 1, 50)]
    with session_scope() as s:
        assert min(r.id for r in s.exec(select(QuotaData)).all()) == 1  # the oldest row was kept


def test_flushes_into_an_existing_hour_add_up(storage) -> None:
    """The upsert's update branch: the same hour flushed twice."""
    buffer = QuotaDataBuffer()
    for _ in range(2):
        buffer.add_sums(1, "u", "m", int(time.time()), token_used=3, quota=5)
        assert buffer.flush()
    [(_, _, _, token_used, count, quota)] = _rows()
    assert (token_used, count, quota) == (6, 2, 10)
