"""Passkeys (WebAuthn) with new-api's flows (`controller/passkey.go`), verified by py_webauthn.

Each ceremony has a begin and a finish. Begin returns new-api's `{options: {publicKey: ...}}` and a
ceremony token (backend/auth/signed.py) holding the challenge, and for a signed-in user the user
id; the API keeps it in an HttpOnly cookie. Finish verifies the browser's credential against it;
a token works once (backend/services/once.py) and lives 2 minutes, new-api's WebAuthn timeout.

- register: a signed-in user adds a credential (resident key required, none attestation);
- login: discoverable, no username: the credential names its user; grants a session;
- verify: a signed-in user proves presence with one of their credentials, for `/api/verify`.
"""

from __future__ import annotations

import base64
import time
import uuid
from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy import delete
from sqlmodel import col, select
from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import base64url_to_bytes
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    CredentialDeviceType,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
)

from backend.auth import signed
from backend.db import session_scope
from backend.models import PasskeyCredential, User
from backend.models.enums import Role, UserStatus
from backend.services import once
from backend.services.errors import Forbidden, NotFound, ServiceError, msg
from backend.services.passkey_settings import (
    CEREMONY_TIMEOUT_MS,
    RelyingParty,
    relying_party,
    require_enabled,
)

TTL_SECONDS = CEREMONY_TIMEOUT_MS // 1000
REGISTER, LOGIN, VERIFY = "passkey-register", "passkey-login", "passkey-verify"
FAILED = msg("passkey verification failed, please try again")


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _ceremony(kind: str, challenge: bytes, user_id: int = 0) -> str:
    return signed.sign(kind, {"c": base64.urlsafe_b64encode(challenge).decode(), "u": user_id}, TTL_SECONDS)


def _take(kind: str, token: str | None, user_id: int = 0) -> bytes:
    """The challenge of a live ceremony token of this kind (and user), used up now."""
    claims = signed.verify(kind, token)
    if claims is None or claims.get("u") != user_id:
        raise ServiceError(msg("the passkey request has expired, please start again"))
    if not once.claim(kind, str(claims["n"]), int(claims["x"] - time.time()) + 1):
        raise ServiceError(msg("the passkey request has expired, please start again"))
    return base64.urlsafe_b64decode(claims["c"])


def _options(opts: Any) -> dict[str, Any]:
    return {"options": {"publicKey": orjson.loads(options_to_json(opts))}}


def _credentials(user_id: int) -> list[PasskeyCredential]:
    with session_scope() as s:
        return list(s.exec(select(PasskeyCredential).where(
            col(PasskeyCredential.user_id) == user_id, col(PasskeyCredential.deleted_at).is_(None))
            .order_by(col(PasskeyCredential.id))).all())


def _descriptors(rows: list[PasskeyCredential]) -> list[PublicKeyCredentialDescriptor]:
    return [PublicKeyCredentialDescriptor(id=base64.b64decode(r.credential_id)) for r in rows]


def _parse(credential: Any) -> dict[str, Any]:
    if not isinstance(credential, dict) or not isinstance(credential.get("response"), dict):
        raise ServiceError(msg("the passkey response is malformed"))
    return credential


# ---- registration ---------------------------------------------------------------------------


def register_begin(user: User) -> tuple[dict[str, Any], str]:
    require_enabled()
    rp = relying_party()
    opts = generate_registration_options(
        rp_id=rp.rp_id, rp_name=rp.name, user_name=user.username, user_id=str(user.id).encode(),
        user_display_name=user.display_name or user.username, timeout=CEREMONY_TIMEOUT_MS,
        authenticator_selection=AuthenticatorSelectionCriteria(
            authenticator_attachment=rp.attachment, resident_key=ResidentKeyRequirement.REQUIRED,
            require_resident_key=True, user_verification=rp.user_verification,
        ),
        exclude_credentials=_descriptors(_credentials(user.id)),
    )
    return _options(opts), _ceremony(REGISTER, opts.challenge, user.id)


def register_finish(user: User, token: str | None, credential: Any) -> dict[str, Any]:
    require_enabled()
    rp = relying_party()
    body = _parse(credential)
    challenge = _take(REGISTER, token, user.id or 0)
    try:
        verified = verify_registration_response(
            credential=body, expected_challenge=challenge, expected_rp_id=rp.rp_id,
            expected_origin=rp.origins, require_user_verification=rp.uv_required,
        )
    except (WebAuthnException, ValueError, KeyError, TypeError) as exc:
        raise ServiceError(FAILED) from exc
    transports = body["response"].get("transports")
    attachment = body.get("authenticatorAttachment")
    now = _now()
    row = PasskeyCredential(
        user_id=user.id, credential_id=_b64(verified.credential_id), public_key=_b64(verified.credential_public_key),
        attestation_type=str(getattr(verified.fmt, "value", verified.fmt)),
        aaguid=_b64(uuid.UUID(verified.aaguid).bytes), sign_count=verified.sign_count,
        user_present=True, user_verified=verified.user_verified,
        backup_eligible=verified.credential_device_type == CredentialDeviceType.MULTI_DEVICE,
        backup_state=verified.credential_backed_up,
        transports=orjson.dumps([str(t) for t in transports]).decode() if isinstance(transports, list) else None,
        attachment=attachment if attachment in ("platform", "cross-platform") else "",
        created_at=now, updated_at=now,
    )
    with session_scope() as s:
        if s.exec(select(PasskeyCredential.id).where(PasskeyCredential.credential_id == row.credential_id)).first():
            raise ServiceError(msg("this passkey is already registered"))
        s.add(row)
        s.flush()
        return public(row)


# ---- assertions (login, verify) -------------------------------------------------------------


def login_begin() -> tuple[dict[str, Any], str]:
    require_enabled()
    rp = relying_party()
    opts = generate_authentication_options(rp_id=rp.rp_id, timeout=CEREMONY_TIMEOUT_MS,
                                           user_verification=rp.user_verification)
    return _options(opts), _ceremony(LOGIN, opts.challenge)


def verify_begin(user: User) -> tuple[dict[str, Any], str]:
    require_enabled()
    rows = _credentials(user.id)
    if not rows:
        raise ServiceError(msg("no passkey is registered for this account"))
    rp = relying_party()
    opts = generate_authentication_options(rp_id=rp.rp_id, timeout=CEREMONY_TIMEOUT_MS,
                                           user_verification=rp.user_verification,
                                           allow_credentials=_descriptors(rows))
    return _options(opts), _ceremony(VERIFY, opts.challenge, user.id)


def _assert(rp: RelyingParty, body: dict[str, Any], challenge: bytes, user_id: int | None) -> User:
    """Check an assertion against the stored credential it names; returns its (enabled) user and
    records the new sign count. `user_id`: the only user it may belong to (verify), None for login."""
    try:
        raw_id = base64url_to_bytes(str(body.get("rawId") or body.get("id") or ""))
    except (ValueError, TypeError) as exc:
        raise ServiceError(FAILED) from exc
    with session_scope() as s:
        row = s.exec(select(PasskeyCredential).where(
            col(PasskeyCredential.credential_id) == _b64(raw_id), col(PasskeyCredential.deleted_at).is_(None))).first()
        if row is None or (user_id is not None and row.user_id != user_id):
            raise ServiceError(FAILED)
        user = s.get(User, row.user_id)
        if user is None or user.deleted_at is not None:
            raise ServiceError(FAILED)
        if user.status != UserStatus.ENABLED:
            raise Forbidden(msg("this user has been disabled"))
        handle = body["response"].get("userHandle")
        try:
            if handle and base64url_to_bytes(str(handle)) != str(user.id).encode():
                raise ServiceError(FAILED)
            verified = verify_authentication_response(
                credential=body, expected_challenge=challenge, expected_rp_id=rp.rp_id, expected_origin=rp.origins,
                credential_public_key=base64.b64decode(row.public_key), credential_current_sign_count=row.sign_count,
                require_user_verification=rp.uv_required,
            )
        except (WebAuthnException, ValueError, KeyError, TypeError) as exc:
            raise ServiceError(FAILED) from exc
        row.sign_count = verified.new_sign_count
        row.user_verified = verified.user_verified
        row.backup_state = verified.credential_backed_up
        row.last_used_at = row.updated_at = _now()
        s.add(row)
        return user


def login_finish(token: str | None, credential: Any) -> User:
    require_enabled()
    body = _parse(credential)
    return _assert(relying_party(), body, _take(LOGIN, token), None)


def verify_finish(user: User, token: str | None, credential: Any) -> None:
    require_enabled()
    body = _parse(credential)
    _assert(relying_party(), body, _take(VERIFY, token, user.id or 0), user.id)


# ---- management -----------------------------------------------------------------------------


def public(row: PasskeyCredential) -> dict[str, Any]:
    return {
        "id": row.id, "credential_id": row.credential_id, "attachment": row.attachment,
        "backup_eligible": row.backup_eligible, "user_verified": row.user_verified,
        "created_at": row.created_at.isoformat() if row.created_at else None,
        "last_used_at": row.last_used_at.isoformat() if row.last_used_at else None,
    }


def has_passkey(user_id: int) -> bool:
    return bool(_credentials(user_id))


def status(user_id: int) -> dict[str, Any]:
    """new-api's `{enabled, last_used_at}`, plus the list of credentials (several are allowed here)."""
    rows = _credentials(user_id)
    if not rows:
        return {"enabled": False, "credentials": []}
    used = [r.last_used_at for r in rows if r.last_used_at]
    return {
        "enabled": True, "last_used_at": max(used).isoformat() if used else None,
        "credentials": [public(r) for r in rows],
    }


def delete_own(user_id: int, credential_row_id: int | None = None) -> None:
    """One credential of the user, or (new-api's DELETE /api/user/passkey) all of them."""
    with session_scope() as s:
        stmt = delete(PasskeyCredential).where(col(PasskeyCredential.user_id) == user_id)
        if credential_row_id is not None:
            stmt = stmt.where(col(PasskeyCredential.id) == credential_row_id)
        if s.exec(stmt).rowcount == 0 and credential_row_id is not None:
            raise NotFound(msg("passkey not found"))


def admin_reset(actor: User, user_id: int) -> None:
    with session_scope() as s:
        target = s.get(User, user_id)
        if target is None:
            raise NotFound(msg("user not found"))
        if actor.role <= target.role and actor.role != Role.ROOT:
            raise Forbidden(msg("no permission to reset the passkeys of a user of the same or a higher role"))
        if s.exec(delete(PasskeyCredential).where(col(PasskeyCredential.user_id) == user_id)).rowcount == 0:
            raise ServiceError(msg("this user has no passkey"))

