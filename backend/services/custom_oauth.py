"""Custom OAuth providers (`/api/custom-oauth-provider/*`, root only), new-api's model.

Kinds: `oauth_code` (authorization-code flow through `/api/oauth/<slug>`), `jwt_direct` (a signed
JWT posted to `/api/auth/external/<slug>/jwt/login`, or obtained for a ticket: acquire modes
`direct_token` and `ticket_exchange`) and
`trusted_header` (identity headers set by a trusted reverse proxy,
`/api/auth/external/<slug>/header/login`). The client secret is stored but never returned.
"""

from __future__ import annotations

import ipaddress
import json
import re
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import col, func, select

from backend.db import session_scope
from backend.models import CustomOAuthProvider, UserOAuthBinding
from backend.services import external_ticket, oauth_fields
from backend.services.errors import NotFound, ServiceError, msg

KINDS = ("oauth_code", "jwt_direct", "trusted_header")
# Paths under /api/oauth/ and /oauth/ that belong to built-in flows.
RESERVED_SLUGS = {"github", "discord", "linuxdo", "oidc", "wechat", "telegram", "state", "email"}
_SLUG = re.compile(r"^[a-z0-9-]{1,64}$")
SECRET_FIELDS = {"client_secret"}
_STR_FIELDS = {
    name for name, f in CustomOAuthProvider.model_fields.items()
    if name not in ("id", "created_at", "updated_at") and f.annotation in (str, str | None)
}
_BOOL_FIELDS = {name for name, f in CustomOAuthProvider.model_fields.items() if f.annotation is bool}
FIELDS = _STR_FIELDS | _BOOL_FIELDS | {"auth_style"}


def public(p: CustomOAuthProvider) -> dict[str, Any]:
    """The provider as the API shows it: everything but the client secret."""
    data = {k: getattr(p, k) for k in sorted(FIELDS - SECRET_FIELDS)}
    data["id"] = p.id
    for k in ("public_key", "trusted_proxy_cidrs", "ticket_exchange_extra_params", "ticket_exchange_headers",
              "group_mapping", "role_mapping", "access_policy"):
        data[k] = data[k] or ""
    data["kind"] = p.kind or "oauth_code"
    return data


def trusted_networks(p: CustomOAuthProvider) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    """`trusted_proxy_cidrs`: a JSON list or a comma-separated string of IPs / CIDRs."""
    raw = (p.trusted_proxy_cidrs or "").strip()
    if not raw:
        return []
    try:
        items = json.loads(raw) if raw.startswith("[") else raw.split(",")
    except ValueError as exc:
        raise ServiceError(msg("trusted_proxy_cidrs must be a JSON list or comma-separated CIDRs")) from exc
    nets = []
    for item in items:
        if str(item).strip():
            try:
                nets.append(ipaddress.ip_network(str(item).strip(), strict=False))
            except ValueError as exc:
                raise ServiceError(msg("not an IP address or CIDR range: {item}", item=str(item).strip()[:64])) from exc
    return nets


def _validate(p: CustomOAuthProvider) -> None:
    p.name, p.slug, p.kind = p.name.strip(), p.slug.strip().lower(), (p.kind or "oauth_code").strip()
    if not p.name:
        raise ServiceError(msg("provider name is required"))
    if not _SLUG.match(p.slug):
        raise ServiceError(msg("provider slug must contain only lowercase letters, numbers, and hyphens"))
    if p.slug in RESERVED_SLUGS:
        raise ServiceError(msg("this slug conflicts with a built-in OAuth provider"))
    if p.kind not in KINDS:
        raise ServiceError(msg("provider kind is invalid"))
    if p.auth_style not in (0, 1, 2):
        raise ServiceError(msg("auth_style must be 0 (auto), 1 (parameters) or 2 (basic auth)"))
    oauth_fields.parse_policy(p.access_policy)
    if p.kind == "oauth_code":
        for field, label in (("client_id", msg("client ID")), ("authorization_endpoint", msg("authorization endpoint")),
                             ("token_endpoint", msg("token endpoint")), ("user_info_endpoint", msg("user info endpoint"))):
            if not getattr(p, field).strip() and not (field != "client_id" and p.well_known.strip()):
                raise ServiceError(msg("{label} is required", label=label))
    elif p.kind == "jwt_direct":
        if (p.jwt_acquire_mode or "direct_token") not in ("direct_token", "ticket_exchange"):
            raise ServiceError(msg("jwt_acquire_mode must be direct_token or ticket_exchange"))
        if p.jwt_acquire_mode == "ticket_exchange":
            external_ticket.validate(p)
        if (p.jwt_identity_mode or "claims") not in ("claims", "userinfo"):
            raise ServiceError(msg("jwt_identity_mode must be claims or userinfo"))
        if not (p.jwks_url.strip() or (p.public_key or "").strip()):
            raise ServiceError(msg("a JWT provider needs a JWKS URL or a public key"))
        if p.jwt_identity_mode == "userinfo" and not p.user_info_endpoint.strip():
            raise ServiceError(msg("user info endpoint is required in userinfo identity mode"))
    else:
        if not p.external_id_header.strip():
            raise ServiceError(msg("external_id_header is required"))
        if not trusted_networks(p):
            raise ServiceError(msg("trusted_proxy_cidrs is required"))


def _apply(p: CustomOAuthProvider, body: dict[str, Any]) -> None:
    for key, value in body.items():
        if key not in FIELDS or value is None:
            continue
        if key in _BOOL_FIELDS:
            if not isinstance(value, bool):
                raise ServiceError(msg("{key} must be a boolean", key=key))
        elif key == "auth_style":
            if isinstance(value, bool) or not isinstance(value, int):
                raise ServiceError(msg("auth_style must be an integer"))
        elif not isinstance(value, str):
            raise ServiceError(msg("{key} must be a string", key=key))
        elif len(value) > 8192:
            raise ServiceError(msg("{key} is too long", key=key))
        setattr(p, key, value)


def _save(p: CustomOAuthProvider) -> dict[str, Any]:
    _validate(p)
    p.updated_at = datetime.now(UTC).replace(tzinfo=None)
    with session_scope() as s:
        taken = s.exec(select(CustomOAuthProvider.id).where(CustomOAuthProvider.slug == p.slug,
                                                             CustomOAuthProvider.id != (p.id or 0))).first()
        if taken is not None:
            raise ServiceError(msg("this slug is already in use"))
        merged = s.merge(p)
        try:
            s.flush()
        except IntegrityError as exc:
            raise ServiceError(msg("this slug is already in use")) from exc
        return public(merged)


def listing() -> list[dict[str, Any]]:
    with session_scope() as s:
        return [public(p) for p in s.exec(select(CustomOAuthProvider).order_by(col(CustomOAuthProvider.id))).all()]


def get(provider_id: int) -> CustomOAuthProvider:
    with session_scope() as s:
        p = s.get(CustomOAuthProvider, provider_id)
    if p is None:
        raise NotFound(msg("OAuth provider not found"))
    return p


def by_slug(slug: str) -> CustomOAuthProvider | None:
    with session_scope() as s:
        return s.exec(select(CustomOAuthProvider).where(CustomOAuthProvider.slug == slug.strip().lower())).first()


def enabled() -> list[CustomOAuthProvider]:
    with session_scope() as s:
        return list(s.exec(select(CustomOAuthProvider).where(col(CustomOAuthProvider.enabled).is_(True))
                           .order_by(col(CustomOAuthProvider.id))).all())


def create(body: dict[str, Any]) -> dict[str, Any]:
    p = CustomOAuthProvider(created_at=datetime.now(UTC).replace(tzinfo=None))
    _apply(p, body)
    return _save(p)


def update(provider_id: int, body: dict[str, Any]) -> dict[str, Any]:
    p = get(provider_id)
    _apply(p, body)
    return _save(p)


def delete(provider_id: int) -> None:
    """Refused while users are still bound (new-api's rule): unbind them first."""
    with session_scope() as s:
        p = s.get(CustomOAuthProvider, provider_id)
        if p is None:
            raise NotFound(msg("OAuth provider not found"))
        bound = s.exec(select(func.count()).select_from(UserOAuthBinding)
                       .where(UserOAuthBinding.provider_id == provider_id)).one()
        if bound:
            raise ServiceError(msg("users are still bound to this OAuth provider; unbind them first"))
        s.delete(p)


def status_list() -> list[dict[str, Any]]:
    """Enabled providers for /api/status and the login page (public fields only)."""
    return [{"id": p.id, "name": p.name, "slug": p.slug, "icon": p.icon, "kind": p.kind or "oauth_code",
             "client_id": p.client_id, "authorization_endpoint": p.authorization_endpoint,
             "scopes": p.scopes} for p in enabled()]
