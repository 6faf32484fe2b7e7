"""The console session cookie, shared by the Reflex dashboard and the /api routes.

The cookie carries only the user id and an issue time, signed with SESSION_SECRET (HMAC-SHA256,
checked in constant time). Role and status are never trusted from it: they are read fresh on
every request, so a ban or a demotion applies at once.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time

from backend.config import get_settings

COOKIE_NAME = "session"
MAX_AGE = 30 * 24 * 3600


def _sign(payload: bytes) -> str:
    mac = hmac.new(get_settings().session_secret.encode(), payload, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).decode().rstrip("=")


def issue(user_id: int, now: float | None = None) -> str:
    payload = f"{user_id}.{int(now if now is not None else time.time())}".encode()
    return base64.urlsafe_b64encode(payload).decode().rstrip("=") + "." + _sign(payload)


def verify(cookie: str | None, now: float | None = None) -> int | None:
    """Return the user id of a valid, unexpired cookie, else None."""
    if not cookie or "." not in cookie:
        return None
    body, sig = cookie.rsplit(".", 1)
    try:
        payload = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
        uid_s, issued_s = payload.decode().split(".", 1)
        uid, issued = int(uid_s), int(issued_s)
    except (ValueError, UnicodeDecodeError):
        return None
    if not hmac.compare_digest(sig, _sign(payload)):
        return None
    current = now if now is not None else time.time()
    if issued > current + 60 or current - issued > MAX_AGE:
        return None
    return uid


def cookie_kwargs() -> dict:
    """Attributes for Response.set_cookie: HttpOnly, SameSite=Strict, 30 days."""
    return {
        "key": COOKIE_NAME,
        "max_age": MAX_AGE,
        "httponly": True,
        "samesite": "strict",
        "secure": get_settings().SESSION_COOKIE_SECURE,
        "path": "/",
    }
