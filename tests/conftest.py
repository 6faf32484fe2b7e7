"""Shared fixtures.

`storage` runs a test once per database: SQLite, PostgreSQL and MariaDB (the machine's services;
NEWAPI_TEST_DBS narrows the list, e.g. `NEWAPI_TEST_DBS=sqlite`). Each test starts on an empty
schema. `redis_url` gives a clean Redis database. `live_gateway` serves the app over real HTTP.
"""

from __future__ import annotations

import os
import socket
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlmodel import SQLModel

os.environ.setdefault("SESSION_SECRET", "test-session-secret")
os.environ.setdefault("GLOBAL_API_RATE_LIMIT_ENABLE", "false")
os.environ.setdefault("CRITICAL_RATE_LIMIT_ENABLE", "false")
# The ledger journal's default is next to SQLITE_PATH (data/ in the work tree): never in tests.
os.environ.setdefault("LEDGER_JOURNAL_DIR", tempfile.mkdtemp(prefix="newapi-test-journal-"))

from backend import lifecycle  # noqa: E402
from backend.config import reset_settings  # noqa: E402
from backend.db import get_engine, reset_engines  # noqa: E402
from backend.migrate import migrate  # noqa: E402

_PG_DB = os.environ.get("NEWAPI_TEST_PG_DB", "test")
_MYSQL_DB = os.environ.get("NEWAPI_TEST_MYSQL_DB", "test")
DATABASES = {
    "sqlite": None,  # a file under tmp_path, per test
    "postgres": f"postgres://postgres@127.0.0.1:5432/{_PG_DB}",
    "mysql": f"root:@tcp(127.0.0.1:3306)/{_MYSQL_DB}",
}
REDIS_URL = os.environ.get("NEWAPI_TEST_REDIS", "redis://127.0.0.1:6379/15")


def _selected() -> list[str]:
    raw = os.environ.get("NEWAPI_TEST_DBS", "sqlite,postgres,mysql")
    return [d.strip() for d in raw.split(",") if d.strip() in DATABASES]


@dataclass
class Storage:
    name: str
    dsn: str


def use_database(monkeypatch: pytest.MonkeyPatch, dsn: str, sqlite_path: Path | None = None,
                 journal_dir: Path | None = None) -> None:
    monkeypatch.setenv("SQL_DSN", dsn)
    if sqlite_path is not None:
        monkeypatch.setenv("SQLITE_PATH", str(sqlite_path))
    if journal_dir is not None:  # each test its own: no journal left by another test is replayed
        monkeypatch.setenv("LEDGER_JOURNAL_DIR", str(journal_dir))
    reset_settings()
    reset_engines()
    lifecycle.reset_process_state()


_schema_ready: set[str] = set()


def mark_schema_dirty(name: str) -> None:
    """A test that drops or reshapes tables makes the next test rebuild the schema from scratch."""
    _schema_ready.discard(name)


def _rebuild_schema() -> None:
    engine = get_engine()
    quote = engine.dialect.identifier_preparer.quote
    with engine.begin() as conn:
        for table in reversed(SQLModel.metadata.sorted_tables):
            conn.execute(text(f"DROP TABLE IF EXISTS {quote(table.name)}"))
        conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
    migrate()


def _empty_tables() -> None:
    """Much faster than dropping and re-creating (MariaDB DDL takes seconds): delete every row and
    restart the id counters, so each test still sees ids from 1."""
    engine = get_engine()
    quote = engine.dialect.identifier_preparer.quote
    names = [t.name for t in SQLModel.metadata.sorted_tables]
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("TRUNCATE " + ", ".join(quote(n) for n in names) + " RESTART IDENTITY"))
            return
        counters = dict(conn.execute(text(
            "SELECT table_name, auto_increment FROM information_schema.tables WHERE table_schema = DATABASE()"
        )).all())
        for name in names:
            conn.execute(text(f"DELETE FROM {quote(name)}"))
            if (counters.get(name) or 1) > 1:
                conn.execute(text(f"ALTER TABLE {quote(name)} AUTO_INCREMENT = 1"))


@pytest.fixture(params=_selected())
def storage(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Storage]:
    name = request.param
    if name == "sqlite":
        use_database(monkeypatch, "", tmp_path / "test.db", tmp_path / "journal")
        migrate()
    else:
        use_database(monkeypatch, DATABASES[name], journal_dir=tmp_path / "journal")
        if name in _schema_ready:
            _empty_tables()
        else:
            _rebuild_schema()
            _schema_ready.add(name)
    yield Storage(name, os.environ["SQL_DSN"])
    lifecycle.reset_process_state()
    reset_engines()


@pytest.fixture
def sqlite_storage(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Storage]:
    """For tests whose subject is not the database: SQLite only."""
    use_database(monkeypatch, "", tmp_path / "test.db", tmp_path / "journal")
    migrate()
    yield Storage("sqlite", "")
    lifecycle.reset_process_state()
    reset_engines()


@pytest.fixture
def redis_url(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    client.flushdb()
    monkeypatch.setenv("REDIS_CONN_STRING", REDIS_URL)
    reset_settings()
    lifecycle.reset_process_state()
    yield REDIS_URL
    client.flushdb()
    client.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LiveServer:
    """Runs an ASGI app on uvicorn in a thread, on a free loopback port, with its lifespan."""

    def __init__(self, app, port: int | None = None) -> None:  # noqa: ANN001
        import uvicorn

        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="on")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> LiveServer:
        self.thread.start()
        deadline = time.time() + 20
        while not self.server.started:
            if time.time() > deadline or not self.thread.is_alive():
                raise RuntimeError("live server did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=20)


@pytest.fixture
def live_gateway(storage: Storage) -> Iterator[LiveServer]:
    """The whole gateway over real HTTP, on each database."""
    from backend.main import create_app

    with LiveServer(create_app()) as server:
        yield server
