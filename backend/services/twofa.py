"""TOTP two-factor authentication with new-api's rules (`controller/twofa.go`, `common/totp.go`):
SHA-1, 6 digits, 30-second steps, one step of clock skew either way; four `XXXX-XXXX` backup codes
stored as bcrypt hashes, each good once; five wrong codes lock the second factor for 300 seconds.

Stricter than new-api: a TOTP code is never accepted twice. Accepting a code moves `last_used_at` to
at least the start of the code's step, and a code is accepted only if `last_used_at` is before the
start of its step, in one conditional UPDATE. The failure counter and the lock are new-api's
columns, updated in place, so every instance sees them (the database is what they all share).
"""

from __future__ import annotations

import hmac
import re
import secrets
import string
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pyotp
from sqlalchemy import delete, func, or_, update
from sqlmodel import Session, col, select

from backend.auth.passwords import hash_password, verify_password
from backend.db import session_scope
from backend.models import TwoFA, TwoFABackupCode, User
from backend.models.enums import Role
from backend.services import options
from backend.services.errors import Forbidden, NotFound, ServiceError, msg
from backend.services.twofa_secret import seal, unseal

PERIOD = 30
DIGITS = 6
SKEW = 1
BACKUP_CODE_COUNT = 4
BACKUP_CODE_LENGTH = 8
MAX_FAIL_ATTEMPTS = 5
LOCKOUT_SECONDS = 300
_BACKUP_ALPHABET = string.ascii_uppercase + string.digits
_NUMERIC = re.compile(r"^\d{6}$")
WRONG_CODE = msg("the verification code or backup code is wrong, please try again")


def _clock() -> float:
    """Seconds since the epoch; the one place the module reads the time (tests move it)."""
    return time.time()


def _utcnow() -> datetime:
    return datetime.fromtimestamp(_clock(), UTC).replace(tzinfo=None)


def _at(ts: float) -> datetime:
    return datetime.fromtimestamp(int(ts), UTC).replace(tzinfo=None)


def issuer() -> str:
    return options.get("SystemName") or "New API"


def otpauth_uri(secret: str, username: str) -> str:
    """new-api's `GenerateQRCodeData`, with the parts URL-encoded."""
    return pyotp.TOTP(secret, digits=DIGITS, interval=PERIOD).provisioning_uri(
        name=f"{username} ({issuer()})", issuer_name=issuer()
    )


def new_backup_codes() -> list[str]:
    codes = []
    for _ in range(BACKUP_CODE_COUNT):
        raw = "".join(secrets.choice(_BACKUP_ALPHABET) for _ in range(BACKUP_CODE_LENGTH))
        codes.append(f"{raw[:4]}-{raw[4:]}")
    return codes


def normalize_backup_code(code: str) -> str | None:
    """`XXXX-XXXX` in upper case, or None when it cannot be a backup code."""
    clean = code.strip().replace("-", "").replace(" ", "").upper()
    if len(clean) != BACKUP_CODE_LENGTH or any(c not in _BACKUP_ALPHABET for c in clean):
        return None
    return f"{clean[:4]}-{clean[4:]}"


def _row(s: Session, user_id: int) -> TwoFA | None:
    return s.exec(select(TwoFA).where(TwoFA.user_id == user_id, col(TwoFA.deleted_at).is_(None))).first()


def _store_backup_codes(s: Session, user_id: int, codes: list[str]) -> None:
    s.execute(delete(TwoFABackupCode).where(col(TwoFABackupCode.user_id) == user_id))
    now = _utcnow()
    for code in codes:
        s.add(TwoFABackupCode(user_id=user_id, code_hash=hash_password(code), created_at=now))


def is_enabled(user_id: int) -> bool:
    with session_scope() as s:
        row = _row(s, user_id)
        return row is not None and row.is_enabled


def _is_locked(row: TwoFA, now: datetime | None = None) -> bool:
    return row.locked_until is not None and row.locked_until > (now or _utcnow())


def status(user_id: int) -> dict[str, Any]:
    with session_scope() as s:
        row = _row(s, user_id)
        out: dict[str, Any] = {"enabled": False, "locked": False}
        if row is None:
            return out
        out["enabled"], out["locked"] = row.is_enabled, _is_locked(row)
        if row.is_enabled:
            out["backup_codes_remaining"] = int(s.exec(
                select(func.count()).select_from(TwoFABackupCode)
                .where(TwoFABackupCode.user_id == user_id, col(TwoFABackupCode.is_used).is_(False))
            ).one())
        return out


def setup(user_id: int) -> dict[str, Any]:
    """A new secret and backup codes, not yet in force: `enable` with a valid code switches 2FA on.
    An earlier unconfirmed setup is replaced. The secret and codes are shown this once."""
    secret = pyotp.random_base32(32)
    codes = new_backup_codes()
    with session_scope() as s:
        user = s.get(User, user_id)
        if user is None or user.deleted_at is not None:
            raise NotFound(msg("user not found"))
        row = _row(s, user_id)
        if row is not None and row.is_enabled:
            raise ServiceError(msg("2FA is already enabled; disable it before setting it up again"))
        if row is not None:
            s.delete(row)
            s.flush()
        now = _utcnow()
        s.add(TwoFA(user_id=user_id, secret=seal(secret), is_enabled=False, created_at=now, updated_at=now))
        _store_backup_codes(s, user_id, codes)
        username = user.username
    return {"secret": secret, "qr_code_data": otpauth_uri(secret, username), "backup_codes": codes}


def _matching_step(secret: str, code: str, now: float) -> int | None:
    totp = pyotp.TOTP(secret, digits=DIGITS, interval=PERIOD)
    current = int(now) // PERIOD
    found = None
    for step in range(current - SKEW, current + SKEW + 1):
        if hmac.compare_digest(totp.at(step * PERIOD), code):  # every step is checked: no early exit
            found = step
    return found


def _accept_totp(s: Session, row: TwoFA, step: int, now: float) -> bool:
    """Use the code of `step` once: false when it (or a later one) was already used."""
    step_start = _at(step * PERIOD)
    result = s.exec(
        update(TwoFA)
        .where(col(TwoFA.id) == row.id, or_(col(TwoFA.last_used_at).is_(None), col(TwoFA.last_used_at) < step_start))
        .values(last_used_at=max(_at(now), step_start), failed_attempts=0, locked_until=None, updated_at=_at(now))
    )
    return result.rowcount == 1


def _accept_backup(s: Session, user_id: int, code: str) -> bool:
    normalized = normalize_backup_code(code)
    if normalized is None:
        return False
    unused = s.exec(select(TwoFABackupCode).where(
        col(TwoFABackupCode.user_id) == user_id, col(TwoFABackupCode.is_used).is_(False))).all()
    for candidate in unused:
        if verify_password(normalized, candidate.code_hash):
            used = s.exec(
                update(TwoFABackupCode)
                .where(col(TwoFABackupCode.id) == candidate.id, col(TwoFABackupCode.is_used).is_(False))
                .values(is_used=True, used_at=_utcnow())
            )
            return used.rowcount == 1
    return False


def _record_failure(user_id: int) -> None:
    """One more wrong code; the fifth locks the second factor for LOCKOUT_SECONDS (and restarts
    the count, so the next wrong code after the lock is the first of five again)."""
    with session_scope() as s:
        s.execute(update(TwoFA).where(col(TwoFA.user_id) == user_id)
                  .values(failed_attempts=TwoFA.failed_attempts + 1))
        s.execute(
            update(TwoFA).where(col(TwoFA.user_id) == user_id, col(TwoFA.failed_attempts) >= MAX_FAIL_ATTEMPTS)
            .values(failed_attempts=0, locked_until=_utcnow() + timedelta(seconds=LOCKOUT_SECONDS))
        )


def _refuse_if_locked(row: TwoFA) -> None:
    if _is_locked(row):
        until = row.locked_until.replace(tzinfo=UTC).isoformat(timespec="seconds") if row.locked_until else ""
        raise ServiceError(msg("too many wrong codes: 2FA is locked until {until}, try again later", until=until), 429)


def check_code(user_id: int, code: str, *, allow_backup: bool = True, now: float | None = None) -> str:
    """Verify a second factor of a user whose 2FA is on: a current TOTP code, else (if allowed) an
    unused backup code, which is used up. Returns "totp" or "backup"; raises on a wrong code
    (counted toward the lock), a replayed code, or while locked."""
    code = (code or "").strip().replace(" ", "")
    current = _clock() if now is None else now
    with session_scope() as s:
        row = _row(s, user_id)
        if row is None or not row.is_enabled:
            raise ServiceError(msg("2FA is not enabled for this user"))
        _refuse_if_locked(row)
        if _NUMERIC.match(code):
            step = _matching_step(unseal(row.secret), code, current)
            if step is not None and _accept_totp(s, row, step, current):
                return "totp"
        elif allow_backup and _accept_backup(s, user_id, code):
            s.execute(update(TwoFA).where(col(TwoFA.id) == row.id)
                      .values(failed_attempts=0, locked_until=None, last_used_at=_at(current)))
            return "backup"
    _record_failure(user_id)
    raise ServiceError(WRONG_CODE)


def enable(user_id: int, code: str, now: float | None = None) -> None:
    code = (code or "").strip().replace(" ", "")
    if not _NUMERIC.match(code):
        raise ServiceError(msg("the verification code must be 6 digits"))
    current = _clock() if now is None else now
    with session_scope() as s:
        row = _row(s, user_id)
        if row is None:
            raise ServiceError(msg("set up 2FA first"))
        if row.is_enabled:
            raise ServiceError(msg("2FA is already enabled"))
        step = _matching_step(unseal(row.secret), code, current)
        if step is None or not _accept_totp(s, row, step, current):
            raise ServiceError(WRONG_CODE)
        s.execute(update(TwoFA).where(col(TwoFA.id) == row.id).values(is_enabled=True))


def _remove(s: Session, user_id: int) -> None:
    s.execute(delete(TwoFABackupCode).where(col(TwoFABackupCode.user_id) == user_id))
    s.execute(delete(TwoFA).where(col(TwoFA.user_id) == user_id))


def disable(user_id: int, code: str) -> None:
    """The user switches 2FA off, proving it with a TOTP or backup code."""
    check_code(user_id, code)
    with session_scope() as s:
        _remove(s, user_id)


def regenerate_backup_codes(user_id: int, code: str) -> list[str]:
    """Fresh backup codes (the old ones stop working), proven with a TOTP code as new-api asks."""
    check_code(user_id, code, allow_backup=False)
    codes = new_backup_codes()
    with session_scope() as s:
        _store_backup_codes(s, user_id, codes)
    return codes


def stats() -> dict[str, Any]:
    with session_scope() as s:
        total = int(s.exec(select(func.count()).select_from(User).where(col(User.deleted_at).is_(None))).one())
        enabled = int(s.exec(select(func.count()).select_from(TwoFA).where(
            col(TwoFA.is_enabled).is_(True), col(TwoFA.deleted_at).is_(None))).one())
    rate = enabled / total * 100 if total else 0.0
    return {"total_users": total, "enabled_users": enabled, "enabled_rate": f"{rate:.1f}%"}


def admin_disable(actor: User, user_id: int) -> None:
    """An admin switches a user's 2FA off (a lost phone): lower roles only, root anyone."""
    with session_scope() as s:
        target = s.get(User, user_id)
        if target is None:
            raise NotFound(msg("user not found"))
        if actor.role <= target.role and actor.role != Role.ROOT:
            raise Forbidden(msg("no permission to change the 2FA of a user of the same or a higher role"))
        row = _row(s, user_id)
        if row is None or not row.is_enabled:
            raise ServiceError(msg("2FA is not enabled for this user"))
        _remove(s, user_id)
