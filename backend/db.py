"""Engine and sessions. SQL_DSN picks the database the way new-api does; both its Go-style DSNs
(`user:pass@tcp(host:3306)/db`) and SQLAlchemy URLs are accepted."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.pool import QueuePool
from sqlmodel import Session, create_engine

from backend.config import Settings, get_settings

_GO_MYSQL = re.compile(r"^(?P<user>[^:@/]*)(?::(?P<pw>.*))?@(?P<proto>tcp|unix)\((?P<addr>[^)]*)\)/(?P<db>[^?]*)(?:\?(?P<q>.*))?$")


def database_url(dsn: str, sqlite_path: str) -> str:
    """Translate a new-api SQL_DSN into a SQLAlchemy URL."""
    dsn = dsn.strip()
    if not dsn or dsn == "local":
        path = sqlite_path.split("?", 1)[0]
        return "sqlite://" if path == ":memory:" else f"sqlite:///{path}"
    if dsn.startswith(("postgres://", "postgresql://")):
        return "postgresql+psycopg://" + dsn.split("://", 1)[1]
    if dsn.startswith("mysql://"):
        return "mysql+pymysql://" + dsn.split("://", 1)[1]
    if "://" in dsn:
        return dsn
    m = _GO_MYSQL.match(dsn)
    if not m:
        raise ValueError("SQL_DSN is neither a URL nor a MySQL DSN like user:pass@tcp(host:3306)/db")
    user, pw = quote(m["user"] or "", safe=""), quote(m["pw"] or "", safe="")
    auth = f"{user}:{pw}@" if pw else f"{user}@"
    if m["proto"] == "unix":
        return f"mysql+pymysql://{auth}localhost/{m['db']}?unix_socket={m['addr']}&charset=utf8mb4"
    return f"mysql+pymysql://{auth}{m['addr']}/{m['db']}?charset=utf8mb4"


POOL_TIMEOUT_S = 10.0
"""Seconds a caller waits for a free connection before sqlalchemy.exc.TimeoutError, which the
management API answers with 503 in its envelope and the relay with OpenAI's error (never a 500)."""


@dataclass(frozen=True, slots=True)
class PoolSize:
    """One engine's pool, in new-api's terms: `idle` connections are kept open between requests
    (SQL_MAX_IDLE_CONNS), at most `open` exist at once (SQL_MAX_OPEN_CONNS) and each is replaced
    after `lifetime` seconds (SQL_MAX_LIFETIME). Connections are only opened on demand."""

    idle: int
    open: int
    lifetime: int


def _relay_threads() -> int:
    """Threads that can hold a relay connection at once: asyncio's default executor (cache misses
    and ledger balance loads go through `asyncio.to_thread`; its size is Python's default), the
    flush thread, and one console thread reading a balance (ledger loads and flushes are serialized
    under the ledger's flush lock, so the console adds at most one)."""
    return min(32, (os.cpu_count() or 1) + 4) + 2


def pool_sizes(s: Settings) -> tuple[PoolSize, PoolSize]:
    """(console, relay). SQL_MAX_OPEN_CONNS and SQL_MAX_IDLE_CONNS are the process's totals, split
    between two pools so that a flood of console calls can never take the connections the relay
    needs. The relay's pool is as large as the threads that can use it (so relay work never waits
    for a connection) but at most half the total; the console gets the rest."""
    total_open = max(s.SQL_MAX_OPEN_CONNS, 2)
    total_idle = max(min(s.SQL_MAX_IDLE_CONNS, total_open), 2)
    relay_open = min(_relay_threads(), total_open // 2)
    relay_idle = min(relay_open, total_idle // 2)
    lifetime = s.SQL_MAX_LIFETIME if s.SQL_MAX_LIFETIME > 0 else -1
    console = PoolSize(idle=total_idle - relay_idle, open=total_open - relay_open, lifetime=lifetime)
    return console, PoolSize(idle=relay_idle, open=relay_open, lifetime=lifetime)


def make_engine(url: str, pool: PoolSize) -> Engine:
    sizing = {"pool_size": pool.idle, "max_overflow": max(pool.open - pool.idle, 0),
              "pool_timeout": POOL_TIMEOUT_S, "pool_recycle": pool.lifetime}
    if url.startswith("sqlite"):
        file = url.removeprefix("sqlite:///")
        if _is_memory(url):
            # Every connection would be a database of its own: SQLAlchemy's per-thread pool stays.
            return create_engine(url, connect_args={"check_same_thread": False})
        Path(file).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30},
                               poolclass=QueuePool, **sizing)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(conn, _record) -> None:  # noqa: ANN001
            cur = conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        return engine
    return create_engine(url, pool_pre_ping=True, **sizing)


def _is_memory(url: str) -> bool:
    return url in ("sqlite://", "sqlite:///:memory:")


_engine: Engine | None = None
_relay_engine: Engine | None = None
_log_engine: Engine | None = None
_relay_log_engine: Engine | None = None


def get_engine() -> Engine:
    """The console's engine: management API, console pages, background jobs."""
    global _engine
    if _engine is None:
        s: Settings = get_settings()
        _engine = make_engine(database_url(s.SQL_DSN, s.SQLITE_PATH), pool_sizes(s)[0])
    return _engine


def get_relay_engine() -> Engine:
    """The same database through a pool of the relay's own: token/user cache misses, ledger balance
    loads and the flushes of counters, logs and quota_data. Console traffic cannot exhaust it."""
    global _relay_engine
    if _relay_engine is None:
        s = get_settings()
        url = database_url(s.SQL_DSN, s.SQLITE_PATH)
        _relay_engine = get_engine() if _is_memory(url) else make_engine(url, pool_sizes(s)[1])
    return _relay_engine


def get_log_engine() -> Engine:
    """The `logs` table may live in a database of its own (LOG_SQL_DSN)."""
    global _log_engine
    s = get_settings()
    if not s.LOG_SQL_DSN:
        return get_engine()
    if _log_engine is None:
        _log_engine = make_engine(database_url(s.LOG_SQL_DSN, s.SQLITE_PATH), pool_sizes(s)[0])
    return _log_engine


def get_relay_log_engine() -> Engine:
    """The logs database through the relay's pool (the usage-log flush)."""
    global _relay_log_engine
    s = get_settings()
    if not s.LOG_SQL_DSN:
        return get_relay_engine()
    if _relay_log_engine is None:
        url = database_url(s.LOG_SQL_DSN, s.SQLITE_PATH)
        _relay_log_engine = get_log_engine() if _is_memory(url) else make_engine(url, pool_sizes(s)[1])
    return _relay_log_engine


def _drop_inherited_pools() -> None:
    """In a forked child (granian's workers): new pools, without closing the parent's connections.

    `newapi serve` migrates in the main process before granian forks; a worker that reused a
    pooled connection it inherited would share its socket with its siblings (PostgreSQL and
    MariaDB then answer one worker's query on another's socket). SQLAlchemy's recipe for fork.
    """
    for e in {id(e): e for e in (_engine, _relay_engine, _log_engine, _relay_log_engine) if e is not None}.values():
        e.dispose(close=False)


os.register_at_fork(after_in_child=_drop_inherited_pools)


def reset_engines() -> None:
    global _engine, _relay_engine, _log_engine, _relay_log_engine
    for e in {id(e): e for e in (_engine, _relay_engine, _log_engine, _relay_log_engine) if e is not None}.values():
        e.dispose()
    _engine = _relay_engine = _log_engine = _relay_log_engine = None


def dialect() -> str:
    return get_engine().dialect.name


@contextmanager
def _scope(engine: Engine) -> Iterator[Session]:
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def session_scope() -> AbstractContextManager[Session]:
    """A session that commits on success and rolls back on error."""
    return _scope(get_engine())


def log_session_scope() -> AbstractContextManager[Session]:
    """The same on the logs database (LOG_SQL_DSN, else the main one)."""
    return _scope(get_log_engine())


def relay_session_scope() -> AbstractContextManager[Session]:
    """`session_scope` on the relay's pool (see `get_relay_engine`)."""
    return _scope(get_relay_engine())
