"""The first-run wizard: create the root user once, record the instance as initialised."""

from __future__ import annotations

import time

from sqlalchemy import text
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlmodel import select

from backend import lifecycle
from backend.db import dialect, session_scope
from backend.migrate import VERSION
from backend.models import Setup, User
from backend.models.enums import Role
from backend.models.validation import check_password
from backend.services import options
from backend.services.errors import ServiceError, msg
from backend.services.users import create_user

ROOT_QUOTA = 100_000_000
# The single setups row has this id: a second initialisation collides on the primary key.
SETUP_ROW_ID = 1


_initialised = False  # once true it stays true, so /api/status stops asking the DB


def is_initialised() -> bool:
    global _initialised
    if not _initialised:
        with session_scope() as s:
            _initialised = s.exec(select(Setup.id)).first() is not None
    return _initialised


@lifecycle.on_reset
def _reset() -> None:
    global _initialised
    _initialised = False


def root_exists() -> bool:
    with session_scope() as s:
        return s.exec(select(User.id).where(User.role == Role.ROOT)).first() is not None


def state() -> dict:
    return {"status": is_initialised(), "root_init": root_exists(), "database_type": _db_type()}


def _db_type() -> str:
    return {"postgresql": "postgres", "sqlite": "sqlite"}.get(dialect(), "mysql")


def initialise(username: str, password: str, confirm: str, self_use: bool, demo: bool) -> None:
    """Create root and mark the instance initialised in one transaction. The setups row is
    inserted first with a fixed id, so a concurrent second call blocks on it and then fails."""
    if password != confirm:
        raise ServiceError(msg("the two passwords do not match"))
    check_password(password)
    if is_initialised():
        raise ServiceError(msg("the system has already been initialised"), 400)
    try:
        with session_scope() as s:
            s.add(Setup(id=SETUP_ROW_ID, version=VERSION, initialized_at=int(time.time())))
            s.flush()
            if s.exec(select(User.id).where(User.role == Role.ROOT)).first() is not None:
                raise ServiceError(msg("the system has already been initialised"), 400)
            create_user(s, username, password, role=Role.ROOT, quota=ROOT_QUOTA)
    except (IntegrityError, OperationalError) as exc:
        # The loser of a race: the winner's setups row (or, on SQLite, its write lock) stopped us.
        if is_initialised():
            raise ServiceError(msg("the system has already been initialised"), 400) from exc
        raise
    if _db_type() == "postgres":
        _bump_setups_sequence()
    options.update("SelfUseModeEnabled", "true" if self_use else "false")
    options.update("DemoSiteEnabled", "true" if demo else "false")


def _bump_setups_sequence() -> None:
    """An explicit id does not advance PostgreSQL's sequence; move it past the row we wrote."""
    with session_scope() as s:
        s.execute(text("SELECT setval(pg_get_serial_sequence('setups', 'id'), (SELECT MAX(id) FROM setups))"))
