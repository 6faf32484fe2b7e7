"""Who the relying party is, from new-api's `passkey.*` options: RP id and allowed origins, or
(when empty) the host and origin of ServerAddress, as new-api's GetPasskeySettings does.

An `http://` origin is refused unless `passkey.allow_insecure_origin` is on, except for localhost
and 127.0.0.1, which browsers treat as secure contexts (WebAuthn works there).
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from webauthn.helpers.structs import AuthenticatorAttachment, UserVerificationRequirement

from backend.services import options
from backend.services.errors import ServiceError, msg

CEREMONY_TIMEOUT_MS = 120_000  # new-api's 2-minute WebAuthn timeouts
_LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1"}


@dataclass(frozen=True)
class RelyingParty:
    rp_id: str
    name: str
    origins: list[str]
    user_verification: UserVerificationRequirement
    attachment: AuthenticatorAttachment | None

    @property
    def uv_required(self) -> bool:
        return self.user_verification == UserVerificationRequirement.REQUIRED


def enabled() -> bool:
    return options.get_bool("passkey.enabled")


def require_enabled() -> None:
    if not enabled():
        raise ServiceError(msg("passkey login is not enabled by the administrator"), 403)


def _origins() -> list[str]:
    raw = options.get("passkey.origins").strip()
    listed = [o.strip().rstrip("/") for o in raw.split(",") if o.strip()] if raw not in ("", "[]") else []
    origins = listed or [options.get("ServerAddress").strip().rstrip("/")]
    insecure_ok = options.get_bool("passkey.allow_insecure_origin")
    for origin in origins:
        parts = urlsplit(origin)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ServiceError(msg("the passkey origin is not configured: set ServerAddress or passkey.origins"), 503)
        if parts.scheme == "http" and not insecure_ok and parts.hostname not in _LOCAL_HOSTS:
            raise ServiceError(msg("insecure passkey origin {origin}: use HTTPS or allow insecure origins", origin=origin), 503)
    return origins


def relying_party() -> RelyingParty:
    origins = _origins()
    rp_id = options.get("passkey.rp_id").strip()
    rp_id = (urlsplit(f"//{rp_id}").hostname if rp_id else urlsplit(origins[0]).hostname) or ""
    uv_raw = options.get("passkey.user_verification").strip().lower()
    try:
        uv = UserVerificationRequirement(uv_raw or "preferred")
    except ValueError:
        uv = UserVerificationRequirement.PREFERRED
    try:
        attachment = AuthenticatorAttachment(options.get("passkey.attachment_preference").strip())
    except ValueError:
        attachment = None
    name = options.get("passkey.rp_display_name").strip() or options.get("SystemName") or "New API"
    return RelyingParty(rp_id, name, origins, uv, attachment)


def public_status() -> dict[str, object]:
    """new-api's passkey fields of `/api/status` (the resolved RP id and origins, as its
    GetPasskeySettings fills them from ServerAddress)."""
    rp_id = options.get("passkey.rp_id").strip()
    origins = options.get("passkey.origins").strip()
    server = options.get("ServerAddress").strip().rstrip("/")
    return {
        "passkey_login": enabled(),
        "passkey_display_name": options.get("passkey.rp_display_name").strip() or options.get("SystemName"),
        "passkey_rp_id": rp_id or (urlsplit(server).hostname or ""),
        "passkey_origins": origins if origins not in ("", "[]") else server,
        "passkey_allow_insecure": options.get_bool("passkey.allow_insecure_origin"),
        "passkey_user_verification": options.get("passkey.user_verification") or "preferred",
        "passkey_attachment": options.get("passkey.attachment_preference"),
    }
