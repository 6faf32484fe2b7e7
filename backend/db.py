"""Engine and sessions. SQL_DSN picks the database the way new-api does; both its Go-style DSNs
(`user:pass@tcp(host:3306)/db`) and SQLAlchemy URLs are accepted."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from urllib.parse import quote

from sqlalchemy import event
from sqlalchemy.engine import Engine
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


def make_engine(url: str, pool_size: int = 20) -> Engine:
    if url.startswith("sqlite"):
        file = url.removeprefix("sqlite:///")
        if file and file != "sqlite://":
            Path(file).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(conn, _record) -> None:  # noqa: ANN001
            cur = conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        return engine
    return create_engine(url, pool_size=pool_size, max_overflow=pool_size * 2, pool_pre_ping=True, pool_recycle=300)


_engine: Engine | None = None
_log_engine: Engine | None = None


def get_engine() -> Engine:
    global _engine
    if _engine is None:
        s: Settings = get_settings()
        _engine = make_engine(database_url(s.SQL_DSN, s.SQLITE_PATH))
    return _engine


def get_log_engine() -> Engine:
    """The `logs` table may live in a database of its own (LOG_SQL_DSN)."""
    global _log_engine
    s = get_settings()
    if not s.LOG_SQL_DSN:
        return get_engine()
    if _log_engine is None:
        _log_engine = make_engine(database_url(s.LOG_SQL_DSN, s.SQLITE_PATH))
    return _log_engine


def _drop_inherited_pools() -> None:
    """In a forked child (granian's workers): new pools, without closing the parent's connections.

    `newapi serve` migrates in the main process before granian forks; a worker that reused a
    pooled connection it inherited would share its socket with its siblings (PostgreSQL and
    MariaDB then answer one worker's query on another's socket). SQLAlchemy's recipe for fork.
    """
    for e in (_engine, _log_engine):
        if e is not None:
            e.dispose(close=False)


os.register_at_fork(after_in_child=_drop_inherited_pools)


def reset_engines() -> None:
    global _engine, _log_engine
    for e in (_engine, _log_engine):
        if e is not None:
            e.dispose()
    _engine = _log_engine = None


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
