"""Secure verification before sensitive actions (new-api's `POST /api/verify` and its
SecureVerificationRequired middleware): the user proves a second factor, a 2FA code or a passkey,
and for the next 5 minutes this login session may do what needs it (revealing a channel key).

new-api keeps the marks in its cookie session; here they are columns of the session's server-side
row (`user_sessions.verified_at`, `passkey_ready_at`), so they end with the session, hold on every
instance, and a caller with only an access token (no session) cannot be verified, as in new-api.
"""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import update
from sqlmodel import col, select

from backend.auth.sessions import session_id
from backend.db import session_scope
from backend.models import UserSession
from backend.services import passkeys, twofa
from backend.services.errors import Message, ServiceError, msg

VERIFIED_SECONDS = 300  # new-api's SecureVerificationTimeout
PASSKEY_READY_SECONDS = 60  # new-api's PasskeyReadyTimeout
NO_SESSION = msg("secure verification needs a login session (not an access token)")


class VerificationRequired(ServiceError):
    """403 with new-api's `code` (VERIFICATION_REQUIRED / VERIFICATION_EXPIRED) for the console."""

    def __init__(self, message: Message, code: str) -> None:
        super().__init__(message, 403)
        self.code = code


def _set(sid: str, user_id: int, **values: int) -> int:
    with session_scope() as s:
        return s.exec(update(UserSession).where(col(UserSession.id) == sid, col(UserSession.user_id) == user_id)
                         .values(**values)).rowcount or 0


def mark_passkey_ready(cookie: str | None, user_id: int) -> None:
    """A passkey check of this session finished (`/api/user/passkey/verify/finish`)."""
    sid = session_id(cookie)
    if sid is None or not _set(sid, user_id, passkey_ready_at=int(time.time())):
        raise ServiceError(NO_SESSION)


def verify(cookie: str | None, user_id: int, method: str, code: str = "") -> dict[str, Any]:
    sid = session_id(cookie)
    if sid is None:
        raise ServiceError(NO_SESSION)
    has_2fa, has_passkey = twofa.is_enabled(user_id), passkeys.has_passkey(user_id)
    if not has_2fa and not has_passkey:
        raise ServiceError(msg("turn on 2FA or add a passkey first"))
    now = int(time.time())
    if method == "2fa":
        if not has_2fa:
            raise ServiceError(msg("2FA is not enabled for this user"))
        if not code.strip():
            raise ServiceError(msg("the verification code is empty"))
        twofa.check_code(user_id, code)
    elif method == "passkey":
        if not has_passkey:
            raise ServiceError(msg("no passkey is registered for this account"))
        with session_scope() as s:  # the ready mark is used up whether or not it is still fresh
            ready = s.exec(
                update(UserSession).where(col(UserSession.id) == sid, col(UserSession.user_id) == user_id,
                                          col(UserSession.passkey_ready_at) > now - PASSKEY_READY_SECONDS)
                .values(passkey_ready_at=0)).rowcount
        if not ready:
            raise ServiceError(msg("finish the passkey check first"))
    else:
        raise ServiceError(msg("unsupported verification method: use 2fa or passkey"))
    if not _set(sid, user_id, verified_at=now, passkey_ready_at=0):
        raise ServiceError(NO_SESSION)
    return {"verified": True, "expires_at": now + VERIFIED_SECONDS}


def require(cookie: str | None, user_id: int) -> None:
    """Raise unless this session passed secure verification in the last 5 minutes."""
    sid = session_id(cookie)
    verified_at = 0
    if sid is not None:
        with session_scope() as s:
            verified_at = s.exec(select(UserSession.verified_at).where(
                UserSession.id == sid, UserSession.user_id == user_id)).first() or 0
    if not verified_at:
        raise VerificationRequired(msg("secure verification is required"), "VERIFICATION_REQUIRED")
    if time.time() - verified_at >= VERIFIED_SECONDS:
        raise VerificationRequired(msg("the verification has expired, please verify again"), "VERIFICATION_EXPIRED")
