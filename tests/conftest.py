"""Shared fixtures, and the markers every test gets from what it uses.

`storage` runs a test once per database: SQLite, PostgreSQL and MariaDB (the machine's services;
NEWAPI_TEST_DBS narrows the list, e.g. `NEWAPI_TEST_DBS=sqlite`). Each test starts on an empty
schema. `redis_url` gives a clean Redis database. `live_gateway` serves the app over real HTTP.

Markers (registered in pyproject.toml, applied here so a new test gets them without anyone
remembering): `browser` for tests that drive chromium, `multi_db` for the PostgreSQL and MariaDB
runs of a `storage` test. `make test-fast` deselects both; `make test` runs everything.
"""

from __future__ import annotations

import os
import sqlite3
import tempfile
import threading
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

import bcrypt
import psycopg
import pymysql
import pytest
from sqlalchemy import text
from sqlmodel import SQLModel
from xdist.scheduler import LoadScopeScheduling

os.environ.setdefault("SESSION_SECRET", "test-session-secret")
os.environ.setdefault("GLOBAL_API_RATE_LIMIT_ENABLE", "false")
os.environ.setdefault("CRITICAL_RATE_LIMIT_ENABLE", "false")
# The ledger journal's default is next to SQLITE_PATH (data/ in the work tree): never in tests.
os.environ.setdefault("LEDGER_JOURNAL_DIR", tempfile.mkdtemp(prefix="newapi-test-journal-"))

from backend import lifecycle  # noqa: E402
from backend.auth import passwords  # noqa: E402
from backend.config import reset_settings  # noqa: E402
from backend.db import get_engine, reset_engines  # noqa: E402
from backend.migrate import migrate  # noqa: E402
from tests.support import free_port, wait_until  # noqa: E402 (free_port: tests import it from here)


class _MinimumCostBcrypt:
    """bcrypt as backend/auth/passwords.py sees it in the tests: new hashes at the minimum cost (4).

    At the gateway's own cost (10 rounds, ~60 ms per hash and per check) hashing was a good part of
    the suite's time. The code path is the same (gensalt, hashpw, checkpw), and a hash of any cost
    still verifies, so the new-api databases the compat tests seed with cost-10 hashes log in as before.
    """

    def __getattr__(self, name: str) -> object:
        return getattr(bcrypt, name)

    @staticmethod
    def gensalt(rounds: int = 12, prefix: bytes = b"2b") -> bytes:
        return bcrypt.gensalt(4, prefix)


passwords.bcrypt = _MinimumCostBcrypt()

# Under `pytest -n N` (pytest-xdist) each worker ("gw0", "gw1"...) gets databases and a Redis db of
# its own, created on first use, so workers never truncate each other's tables.
_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")
_SUFFIX = f"_{_WORKER}" if _WORKER else ""
_PG_DB = os.environ.get("NEWAPI_TEST_PG_DB", "test") + _SUFFIX
_MYSQL_DB = os.environ.get("NEWAPI_TEST_MYSQL_DB", "test") + _SUFFIX
DATABASES = {
    "sqlite": None,  # a file under tmp_path, per test
    "postgres": f"postgres://postgres@127.0.0.1:5432/{_PG_DB}",
    "mysql": f"root:@tcp(127.0.0.1:3306)/{_MYSQL_DB}",
}
_REDIS_BASE = os.environ.get("NEWAPI_TEST_REDIS", "redis://127.0.0.1:6379/15")
if _WORKER[2:].isdigit():  # each worker one Redis db below the configured one: 15, 14, ...
    _root, _, _db = _REDIS_BASE.rpartition("/")
    _REDIS_BASE = f"{_root}/{int(_db) - int(_WORKER[2:])}"
REDIS_URL = _REDIS_BASE


def _create_worker_databases() -> None:
    """The worker's own PostgreSQL and MariaDB databases, made if missing (a fresh machine has only
    `test`). Quiet when a server is down: the tests that need it fail with the real error."""
    try:
        with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as conn:
            if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (_PG_DB,)).fetchone() is None:
                conn.execute(f'CREATE DATABASE "{_PG_DB}"')
    except psycopg.Error:
        pass
    try:
        conn = pymysql.connect(host="127.0.0.1", port=3306, user="root", password="")
        with conn.cursor() as cur:
            cur.execute(f"CREATE DATABASE IF NOT EXISTS `{_MYSQL_DB}`")
        conn.close()
    except pymysql.Error:
        pass


if _WORKER:
    _create_worker_databases()


def _selected() -> list[str]:
    raw = os.environ.get("NEWAPI_TEST_DBS", "sqlite,postgres,mysql")
    return [d.strip() for d in raw.split(",") if d.strip() in DATABASES]


BROWSER_FIXTURES = frozenset({"page", "server"})  # tests/ui/conftest.py: a chromium page, the console server
BROWSER_FILE_SUFFIX = "_browser.py"


def _in_a_browser_file(nodeid: str) -> bool:
    return nodeid.split("::", 1)[0].endswith(BROWSER_FILE_SUFFIX)


class _BrowserTestsOnOneWorker(LoadScopeScheduling):
    """`pytest -n N`: every test is a work unit of its own, except the browser tests, which are one
    unit run by one worker. Their console servers share the one `.web` build and its lock
    (tests/ui/harness.py): a second worker would wait on it for the rest of the run.

    xdist's own `--dist loadgroup` cannot do this under pytest 9.2: it renames `item._nodeid`, which
    pytest no longer reads, so the `xdist_group` marker had no effect and the run hung. The browser
    tests are told apart by their file name (checked at collection below), which needs no marker."""

    def _split_scope(self, nodeid: str) -> str:
        return "browser" if _in_a_browser_file(nodeid) else nodeid


def pytest_xdist_make_scheduler(config: pytest.Config, log: object) -> LoadScopeScheduling:
    return _BrowserTestsOnOneWorker(config, log)


def _drives_a_browser(item: pytest.Item) -> bool:
    """A test of tests/ui/ that takes the browser fixtures (a chromium page, the console server)."""
    in_ui = item.path.parent.name == "ui" and item.path.parent.parent.name == "tests"
    return in_ui and not BROWSER_FIXTURES.isdisjoint(getattr(item, "fixturenames", ()))


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    misplaced = [item.nodeid for item in items if _drives_a_browser(item) and not _in_a_browser_file(item.nodeid)]
    if misplaced:  # the scheduler above would hand them to any worker
        raise pytest.UsageError(f"tests that drive chromium belong in a *{BROWSER_FILE_SUFFIX} file: {misplaced}")
    for item in items:
        if _in_a_browser_file(item.nodeid):
            item.add_marker(pytest.mark.browser)
        callspec = getattr(item, "callspec", None)
        if callspec is not None and callspec.params.get("storage", "sqlite") != "sqlite":
            item.add_marker(pytest.mark.multi_db)


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


@pytest.fixture(scope="session")
def migrated_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated once per run; each SQLite test starts on a copy of it (a copy takes about
    a millisecond, running the migrations on a new file ~30 ms, and most tests run on SQLite)."""
    path = tmp_path_factory.mktemp("schema") / "migrated.db"
    with pytest.MonkeyPatch.context() as mp:
        use_database(mp, "", path)
        migrate()
        reset_engines()
    reset_settings()
    return path


def _fresh_sqlite(monkeypatch: pytest.MonkeyPatch, path: Path, template: Path) -> None:
    """What `use_database` + `migrate()` leave on a new SQLite file, from the migrated template."""
    with closing(sqlite3.connect(template)) as src, closing(sqlite3.connect(path)) as dst:
        src.backup(dst)
    use_database(monkeypatch, "", path, path.parent / "journal")


@pytest.fixture(params=_selected())
def storage(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
            migrated_sqlite: Path) -> Iterator[Storage]:
    name = request.param
    if name == "sqlite":
        _fresh_sqlite(monkeypatch, tmp_path / "test.db", migrated_sqlite)
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
def sqlite_storage(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, migrated_sqlite: Path) -> Iterator[Storage]:
    """For tests whose subject is not the database: SQLite only."""
    _fresh_sqlite(monkeypatch, tmp_path / "test.db", migrated_sqlite)
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


class LiveServer:
    """Runs an ASGI app on uvicorn in a thread, on a free loopback port, with its lifespan.
    `options` go to uvicorn.Config (e.g. `h11_max_incomplete_event_size` to accept request heads as
    large as granian does, so the app's own header checks can be reached)."""

    def __init__(self, app, port: int | None = None, **options: object) -> None:
        import uvicorn

        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        # uvicorn drops an idle connection after 5 s; the relay's pool keeps its connections for 90 s,
        # and on a loaded machine a pooled one can be picked just as the fake closes it
        options.setdefault("timeout_keep_alive", 120)
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="on",
                                **options)  # type: ignore[arg-type]
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> LiveServer:
        self.thread.start()
        wait_until(lambda: self.server.started or not self.thread.is_alive(), "the live server to start", 20)
        if not self.server.started:
            raise RuntimeError("live server did not start")
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
