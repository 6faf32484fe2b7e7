"""Which browser asked: a random HttpOnly cookie that ties an OAuth state or a Telegram bot-login
nonce to the browser that requested it, whether or not anyone is logged in there.

new-api keeps its OAuth state in its (signed-cookie) session; ours are server-side and exist only
after a login, so a browser that has not logged in yet gets this cookie instead. It authorises
nothing on its own: it only lets the server tell "the browser that started this" from any other.
Stored values keep its HMAC, never the cookie itself.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Any

from backend.config import get_settings

COOKIE_NAME = "oauth_browser"
MAX_AGE = 24 * 3600
_MAX_LEN = 128


def new_value() -> str:
    return secrets.token_urlsafe(32)


def fingerprint(cookie: str | None) -> str | None:
    """HMAC of the cookie (what values are bound to), or None for no or a malformed cookie."""
    if not cookie or len(cookie) > _MAX_LEN or not cookie.isascii():
        return None
    key = ("browser-binding:" + get_settings().session_secret).encode()
    return hmac.new(key, cookie.encode(), hashlib.sha256).hexdigest()


def same(bound: object, cookie: str | None) -> bool:
    """Whether `bound` (a stored fingerprint) names this browser; constant-time."""
    mine = fingerprint(cookie)
    return isinstance(bound, str) and mine is not None and hmac.compare_digest(bound, mine)


def cookie_kwargs(value: str, *, https: bool = False) -> dict[str, Any]:
    """SameSite=Lax: the provider sends the browser back with a top-level navigation, and the
    Telegram widget's bind link is one too; the cookie still never rides on cross-site requests."""
    return {
        "key": COOKIE_NAME,
        "value": value,
        "max_age": MAX_AGE,
        "httponly": True,
        "samesite": "lax",
        "secure": https or get_settings().SESSION_COOKIE_SECURE,
        "path": "/",
    }
