"""How console handlers reach the gateway: service calls off the event loop, and the session user.

The console never talks HTTP to its own server. It calls `backend.services` directly, in a worker
thread, because the services use the synchronous DB engine and the event loop also serves the relay.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from http.cookies import CookieError, SimpleCookie
from typing import Any, TypeVar

from backend import lifecycle
from backend.models import User
from backend.models.enums import UserStatus
from backend.services import sessions, setup, users
from backend.services.errors import NotFound

T = TypeVar("T")

# Set up once means set up for good (the setups row is never removed), so only "no" is re-checked.
_initialised = False


async def call(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    return await asyncio.to_thread(fn, *args, **kwargs)


async def is_initialised() -> bool:
    global _initialised
    if not _initialised:
        _initialised = await call(setup.is_initialised)
    return _initialised


@lifecycle.on_reset
def _forget_initialised() -> None:
    global _initialised
    _initialised = False


def session_cookie(cookie_header: str) -> str | None:
    """The HttpOnly session cookie from a Cookie header (the console's websocket handshake)."""
    jar = SimpleCookie()
    try:
        jar.load(cookie_header or "")
    except CookieError:
        return None
    morsel = jar.get(sessions.COOKIE_NAME)
    return morsel.value if morsel else None


def _load_enabled(cookie: str | None) -> User | None:
    uid = sessions.verify(cookie)
    if uid is None:
        return None
    try:
        user = users.get_user(uid)
    except NotFound:
        return None
    return user if user.status == UserStatus.ENABLED else None


async def session_user(cookie_header: str) -> User | None:
    """The user of a live server-side session, if enabled, read fresh from the database (a logout,
    a password change elsewhere or a ban applies at once)."""
    cookie = session_cookie(cookie_header)
    if cookie is None:
        return None
    return await call(_load_enabled, cookie)
