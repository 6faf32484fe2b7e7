"""The second step of a password login when the user has 2FA on.

`POST /api/user/login` then grants no session: it answers `require_2fa` with a flow token, a signed
claim "user N passed the password check, for the next 5 minutes" (backend/auth/signed.py). The
browser keeps it as an HttpOnly cookie scoped to /api/user/login; API clients may send it back as
`flow_token` (new-api's newer field). It is bound to the password hash, so a password change voids
it, and it works once: the first accepted code burns it (backend/services/once.py).
"""

from __future__ import annotations

import time
from typing import Any

from backend.auth import signed
from backend.db import session_scope
from backend.models import User
from backend.models.enums import UserStatus
from backend.services import once, twofa
from backend.services.errors import ServiceError, Unauthorized, msg

PURPOSE = "2fa-login"
TTL_SECONDS = 300
COOKIE_NAME = "newapi_2fa_flow"
COOKIE_PATH = "/api/user/login"
EXPIRED = msg("the login has expired, please log in again")


def begin(user: User, now: float | None = None) -> dict[str, Any]:
    issued = time.time() if now is None else now
    token = signed.sign(PURPOSE, {"u": user.id, "f": signed.fingerprint(user.password)}, TTL_SECONDS, now=issued)
    return {"require_2fa": True, "flow_token": token, "expires_at": int(issued) + TTL_SECONDS}


def finish(token: str | None, code: str) -> User:
    """The user of a live flow token whose code is right; raises otherwise (wrong codes count
    toward the lock; the token survives them, so a typo does not restart the login)."""
    claims = signed.verify(PURPOSE, token)
    if claims is None:
        raise Unauthorized(EXPIRED)
    with session_scope() as s:
        user = s.get(User, claims.get("u"))
    if user is None or user.deleted_at is not None or signed.fingerprint(user.password) != claims.get("f"):
        raise Unauthorized(EXPIRED)
    if user.status != UserStatus.ENABLED:
        raise ServiceError(msg("this user has been disabled"), 403)
    if not (code or "").strip():
        raise ServiceError(msg("enter the verification code or a backup code"))
    twofa.check_code(user.id, code)
    if not once.claim(PURPOSE, str(claims["n"]), int(claims["x"] - time.time()) + 1):
        raise Unauthorized(EXPIRED)
    return user
