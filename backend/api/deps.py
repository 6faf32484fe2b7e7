"""FastAPI dependencies: the console user, with new-api's auth rules.

A caller is the user named by a valid session cookie, or by `Authorization: [Bearer ]<access token>`.
Either way the `New-Api-User` header must carry the same id (new-api's CSRF defence). Role and
status are read from the database on every request, never from the cookie.

The user is read in a session of its own that is closed before the route body runs. Routes call
services that open their own `session_scope()`; a request holding one connection for its whole
life while its services wait for a second lets a few dozen concurrent calls take the whole pool
and time out together (a request must never wait for a connection while holding one).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Request
from sqlmodel import Session, select

from backend.cache import MAX_KEY_CHARS
from backend.db import session_scope
from backend.models import User
from backend.models.enums import Role, UserStatus
from backend.services import sessions
from backend.services.errors import Forbidden, Unauthorized, msg


def authenticate(request: Request, session: Session) -> User:
    uid = sessions.verify(request.cookies.get(sessions.COOKIE_NAME), session)
    user: User | None = None
    if uid is not None:
        user = session.get(User, uid)
    else:
        raw = request.headers.get("Authorization", "").strip()
        token = raw[7:].strip() if raw.lower().startswith("bearer ") else raw
        # No access token is this long: refuse without a query (the value is never looked up).
        if token and len(token) <= MAX_KEY_CHARS:
            user = session.exec(select(User).where(User.access_token == token)).first()
    if user is None or user.deleted_at is not None:
        raise Unauthorized(msg("not logged in and no valid access token provided"))
    header = request.headers.get("New-Api-User", "")
    if header != str(user.id):
        raise Unauthorized(msg("the New-Api-User header is missing or does not match the logged-in user"))
    if user.status != UserStatus.ENABLED:
        raise Forbidden(msg("this user has been disabled"))
    request.state.by_session = uid is not None
    return user


def signed_in_by_session(request: Request) -> bool:
    """True when the caller was authenticated by a console session, not by an access token (read
    after the user dependency has run)."""
    return bool(getattr(request.state, "by_session", False))


def _require(min_role: Role) -> Callable[[Request], User]:
    def dep(request: Request) -> User:
        with session_scope() as session:  # closed (connection returned) before the route runs
            user = authenticate(request, session)
        if user.role < min_role:
            raise Forbidden(msg("permission denied: insufficient role"))
        return user

    return dep


CurrentUser = Annotated[User, Depends(_require(Role.COMMON))]
AdminUser = Annotated[User, Depends(_require(Role.ADMIN))]
RootUser = Annotated[User, Depends(_require(Role.ROOT))]
