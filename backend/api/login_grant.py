"""What every login route answers once it knows the user: a new server-side session (cookie) and
the user, exactly as `POST /api/user/login` does; and who is logged in already (the bind flows)."""

from __future__ import annotations

from fastapi import Request, Response

from backend.api.responses import ok
from backend.models import User
from backend.models.enums import UserStatus
from backend.services import browser_binding, sessions, users
from backend.services.errors import Forbidden, NotFound, msg


def over_https(request: Request) -> bool:
    return request.url.scheme == "https"


def grant(user: User, request: Request, response: Response) -> dict:
    response.set_cookie(value=sessions.start(user.id), **sessions.cookie_kwargs(https=over_https(request)))
    return ok(users.public_user(user))


def session_user(request: Request) -> User | None:
    """The enabled user of the request's session cookie, or None when nobody is logged in."""
    uid = sessions.verify(request.cookies.get(sessions.COOKIE_NAME))
    if uid is None:
        return None
    try:
        user = users.get_user(uid)
    except NotFound:
        return None
    if user.status != UserStatus.ENABLED:
        raise Forbidden(msg("this user has been disabled"))
    return user


def browser_cookie(request: Request, response: Response) -> str:
    """The browser-binding cookie, set now when the browser has none (or a malformed one)."""
    value = request.cookies.get(browser_binding.COOKIE_NAME)
    if value is None or browser_binding.fingerprint(value) is None:
        value = browser_binding.new_value()
        response.set_cookie(**browser_binding.cookie_kwargs(value, https=over_https(request)))
    return value
