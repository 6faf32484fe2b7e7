"""Log pages stay cheap at 100,000 rows: every page query is bounded by LIMIT and answered through an
index (or a primary-key walk that LIMIT stops early), never by reading and sorting the whole table.

SQLite's EXPLAIN QUERY PLAN is the check, on a table seeded with one bulk insert; no timings.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import event, insert
from sqlalchemy.engine import Engine

from backend import lifecycle
from backend.db import get_log_engine, reset_engines
from backend.migrate import migrate
from backend.models import Log
from backend.models.enums import LogType
from backend.services import log_queries
from backend.services.log_queries import LogFilter
from tests.conftest import use_database

ROWS = 100_000
USERS = 50
T0 = 1_700_000_000
PAGE_SIZE = 20


@pytest.fixture(scope="module")
def seeded_file(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """One SQLite file with 100k rows, built once; each test works on a copy."""
    path = tmp_path_factory.mktemp("logs") / "seeded.db"
    models = ("gpt-4o", "claude-sonnet-4-5", "gemini-2.5-pro")
    rows = [
        {"user_id": i % USERS + 1, "created_at": T0 + i * 10, "type": LogType.ERROR if i % 10 == 0 else LogType.CONSUME,
         "username": f"user{i % USERS + 1}", "token_name": f"tok{i % 7}", "model_name": models[i % 3],
         "quota": 100, "prompt_tokens": 10, "completion_tokens": 5, "channel_id": i % 5 + 1, "token_id": i % 7 + 1,
         "group": "default", "content": "", "other": ""}
        for i in range(ROWS)
    ]
    with pytest.MonkeyPatch.context() as mp:
        use_database(mp, "", path)
        migrate()
        with get_log_engine().begin() as conn:
            conn.execute(insert(Log), rows)
        reset_engines()
    yield path
    lifecycle.reset_process_state()


@pytest.fixture
def seeded(seeded_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    copy = tmp_path / "test.db"
    shutil.copyfile(seeded_file, copy)
    use_database(monkeypatch, "", copy)
    yield get_log_engine()
    lifecycle.reset_process_state()
    reset_engines()


@pytest.fixture
def statements(seeded: Engine) -> Iterator[list[tuple[str, tuple]]]:
    """The SQL the services send to the logs database while the test runs."""
    seen: list[tuple[str, tuple]] = []

    def capture(_conn, _cursor, statement, params, _context, _many) -> None:
        if " logs" in statement and not statement.startswith("EXPLAIN"):
            seen.append((statement, params))

    event.listen(seeded, "before_cursor_execute", capture)
    yield seen
    event.remove(seeded, "before_cursor_execute", capture)


def _plan(engine: Engine, statement: str, params: tuple) -> list[str]:
    with engine.connect() as conn:
        return [row[-1] for row in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, params).fetchall()]


def _page_statement(statements: list[tuple[str, tuple]]) -> tuple[str, tuple]:
    [row_query] = [(s, p) for s, p in statements if "count(" not in s]
    return row_query


INDEXED = {
    # idx_user_id_id is new-api's (user_id, id): it narrows and orders, so LIMIT stops early
    "user": (LogFilter(user_id=7), ("idx_user_id_id", "ix_logs_user_id")),
    # the planner may pick any of these (it depends on table statistics); all narrow the search
    "user and type": (LogFilter(user_id=7, type=LogType.CONSUME),
                      ("idx_user_id_id", "ix_logs_user_id", "ix_logs_type", "idx_created_at_type")),
    "username": (LogFilter(username="user9"), ("ix_logs_username",)),
    "token name": (LogFilter(token_name="tok3"), ("ix_logs_token_name",)),
    "channel": (LogFilter(channel=2), ("ix_logs_channel_id",)),
    "time range": (LogFilter(start_timestamp=T0 + 500_000, end_timestamp=T0 + 600_000), ("ix_logs_created_at", "idx_created_at_id", "idx_created_at_type")),
}


@pytest.mark.parametrize("case", list(INDEXED))
def test_filtered_pages_use_an_index_and_limit(seeded: Engine, statements, case: str) -> None:
    f, indexes = INDEXED[case]
    items, total = log_queries.page(f, 3, PAGE_SIZE, admin=True)
    assert len(items) == PAGE_SIZE and total > PAGE_SIZE * 3
    statement, params = _page_statement(statements)
    assert "LIMIT" in statement and PAGE_SIZE in params and 2 * PAGE_SIZE in params  # limit 20 offset 40
    plan = _plan(seeded, statement, params)
    assert any(f"USING INDEX {index}" in step for step in plan for index in indexes), plan
    # the count runs on an index too, never over full rows
    [(count_sql, count_params)] = [(s, p) for s, p in statements if "count(" in s]
    assert any("INDEX" in step for step in _plan(seeded, count_sql, count_params))


@pytest.mark.parametrize("f", [LogFilter(), LogFilter(model_name="claude")], ids=["no filter", "model substring"])
def test_unindexed_pages_walk_the_primary_key_and_stop_at_limit(seeded: Engine, statements, f: LogFilter) -> None:
    items, _total = log_queries.page(f, 1, PAGE_SIZE, admin=True)
    assert len(items) == PAGE_SIZE
    assert items[0].id > items[-1].id  # newest first
    statement, params = _page_statement(statements)
    assert "LIMIT" in statement
    plan = _plan(seeded, statement, params)
    # A scan in rowid order needs no sort, so LIMIT ends it after one page of matches.
    assert not any("TEMP B-TREE" in step for step in plan), plan


def test_user_view_pages_are_exact_and_newest_first(seeded: Engine) -> None:
    first, total = log_queries.page(LogFilter(user_id=3), 1, PAGE_SIZE, admin=False)
    last, _ = log_queries.page(LogFilter(user_id=3), total // PAGE_SIZE, PAGE_SIZE, admin=False)
    assert total == ROWS // USERS
    assert {r.user_id for r in first + last} == {3}
    assert first[0].created_at > last[-1].created_at
    assert all(r.channel == 0 for r in first)  # users never see the channel


def test_stat_aggregates_in_the_database(seeded: Engine, statements) -> None:
    stat = log_queries.stat(LogFilter(user_id=3), now=T0 + ROWS * 10)
    consumes = sum(1 for i in range(ROWS) if i % USERS == 2 and i % 10 != 0)
    assert stat.quota == consumes * 100
    for statement, params in statements:
        assert "sum(" in statement or "count(" in statement  # aggregates only: no rows come back to Python
        plan = _plan(seeded, statement, params)
        assert any(f"USING INDEX {index}" in step for step in plan
                   for index in ("idx_user_id_id", "ix_logs_user_id", "ix_logs_type", "idx_created_at_type")), plan
