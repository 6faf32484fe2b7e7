"""The console session cookie, shared by the Reflex dashboard and the /api routes: its secret and
its attributes. The sessions themselves live on the server (`backend.services.sessions`).

The cookie holds only a random secret (256 bits). The server keeps HMAC-SHA256(SESSION_SECRET,
secret) as the session's id, so neither a leaked table nor a guessed user id opens an account,
and ending a session (logout, a password change, a ban) is deleting its row.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Any

from backend.config import get_settings

COOKIE_NAME = "session"
MAX_AGE = 30 * 24 * 3600
_SECRET_BYTES = 32
_MAX_COOKIE_LEN = 128  # token_urlsafe(32) is 43 characters; anything far longer is not ours


def new_secret() -> str:
    return secrets.token_urlsafe(_SECRET_BYTES)


def session_id(cookie: str | None) -> str | None:
    """The stored id of the session a cookie names (its HMAC), or None for a malformed cookie."""
    if not cookie or len(cookie) > _MAX_COOKIE_LEN or not cookie.isascii():
        return None
    return hmac.new(get_settings().session_secret.encode(), cookie.encode(), hashlib.sha256).hexdigest()


def cookie_kwargs(*, https: bool = False) -> dict[str, Any]:
    """Attributes for Response.set_cookie: HttpOnly, SameSite=Strict, 30 days; Secure when the
    request came over HTTPS, or always with SESSION_COOKIE_SECURE (TLS ended by a proxy)."""
    return {
        "key": COOKIE_NAME,
        "max_age": MAX_AGE,
        "httponly": True,
        "samesite": "strict",
        "secure": https or get_settings().SESSION_COOKIE_SECURE,
        "path": "/",
    }
