"""The console's session check: the HttpOnly cookie from the websocket handshake, and the user's
current status from the database (on every database)."""

from __future__ import annotations

import time
from datetime import datetime

from sqlalchemy import update

from backend.db import session_scope
from backend.models import User
from backend.models.enums import UserStatus
from backend.services import sessions, users
from newapi_ui import backend_bridge


def _make_user(name: str = "alice") -> int:
    with session_scope() as s:
        return users.create_user(s, name, "password123").id


async def test_session_user_reads_the_cookie_header(storage) -> None:
    uid = _make_user()
    cookie = sessions.start(uid)
    header = f"lang=ja; {sessions.COOKIE_NAME}={cookie}; other=1"
    user = await backend_bridge.session_user(header)
    assert user is not None and user.id == uid and user.username == "alice"


async def test_missing_forged_or_ended_cookies_are_nobody(storage) -> None:
    uid = _make_user()
    good = sessions.start(uid)
    assert await backend_bridge.session_user(f"{sessions.COOKIE_NAME}={good}") is not None
    forged = good[:-1] + ("B" if good.endswith("A") else "A")  # one character off, never the same cookie
    for header in ("", "lang=ja", f"{sessions.COOKIE_NAME}=", f"{sessions.COOKIE_NAME}={forged}",
                   f"{sessions.COOKIE_NAME}={uid}", f"{sessions.COOKIE_NAME}={good * 4}", "=;;\x00", "session"):
        assert await backend_bridge.session_user(header) is None, header
    sessions.end(good)  # what the console's logout does through /api/user/logout
    assert await backend_bridge.session_user(f"{sessions.COOKIE_NAME}={good}") is None
    expired = sessions.start(uid, now=int(time.time()) - sessions.MAX_AGE - 1)
    assert await backend_bridge.session_user(f"{sessions.COOKIE_NAME}={expired}") is None


async def test_banned_or_deleted_user_is_out_at_once(storage) -> None:
    uid = _make_user()
    header = f"{sessions.COOKIE_NAME}={sessions.start(uid)}"
    assert await backend_bridge.session_user(header) is not None
    with session_scope() as s:
        s.execute(update(User).where(User.id == uid).values(status=UserStatus.DISABLED))
    assert await backend_bridge.session_user(header) is None
    with session_scope() as s:
        s.execute(update(User).where(User.id == uid).values(status=UserStatus.ENABLED, deleted_at=datetime(2026, 1, 1)))
    assert await backend_bridge.session_user(header) is None


async def test_initialised_is_remembered_only_once_true(storage) -> None:
    from backend.services import setup

    assert await backend_bridge.is_initialised() is False
    setup.initialise("root", "rootpass123", "rootpass123", False, False)
    assert await backend_bridge.is_initialised() is True
