"""External logins of custom providers (new-api's `/api/auth/external/<slug>/{jwt,header}/login`).

`jwt_direct`: the browser posts a JWT the identity provider issued (plus the OAuth state). Its
signature is checked against the provider's JWKS URL or PEM public key (asymmetric algorithms
only: a shared secret would let anyone holding it mint identities), and `exp`, `iss`, `aud` as
configured. The identity comes from the claims, or from the user-info endpoint called with the
token (`jwt_identity_mode: userinfo`). Only the `direct_token` acquire mode is supported.

`trusted_header`: a reverse proxy in `trusted_proxy_cidrs` (checked against the socket peer, never
a forwarded header) vouches for the person through headers (`external_id_header`, ...).

New accounts are created only when the provider says `auto_register`; with `auto_merge_by_email`
an unbound identity whose email matches an existing account is bound to it.
"""

from __future__ import annotations

import ipaddress
import threading
import time
from collections.abc import Mapping
from typing import Any

import httpx
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import ECKey, KeySet, OKPKey, RSAKey
from sqlmodel import select

from backend.config import get_settings
from backend.db import session_scope
from backend.models import CustomOAuthProvider, User
from backend.models.enums import UserStatus
from backend.services import custom_oauth, oauth_accounts, oauth_fields
from backend.services.errors import Forbidden, ServiceError, msg
from backend.services.oauth_providers import Identity

ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"]
JWKS_TTL = 600.0
LEEWAY_SECONDS = 60

_jwks_lock = threading.Lock()
_jwks: dict[str, tuple[KeySet, float]] = {}


def provider(slug: str, kind: str) -> CustomOAuthProvider:
    row = custom_oauth.by_slug(slug)
    if row is None or (row.kind or "oauth_code") != kind:
        raise ServiceError(msg("unknown OAuth provider"))
    if not row.enabled:
        raise ServiceError(msg("{name} login is not enabled by the administrator", name=row.name), 403)
    return row


def _key_set(p: CustomOAuthProvider) -> Any:
    pem = (p.public_key or "").strip()
    if pem:
        for cls in (RSAKey, ECKey, OKPKey):
            try:
                return cls.import_key(pem)
            except (ValueError, TypeError, JoseError):
                continue
        raise ServiceError(msg("{name} login is misconfigured (public key)", name=p.name))
    now = time.monotonic()
    with _jwks_lock:
        hit = _jwks.get(p.jwks_url)
    if hit is not None and hit[1] > now:
        return hit[0]
    try:
        reply = httpx.get(p.jwks_url, timeout=get_settings().OAUTH_HTTP_TIMEOUT)
        keys = KeySet.import_key_set(reply.json())
    except (httpx.HTTPError, ValueError, TypeError, JoseError) as exc:
        raise ServiceError(msg("could not read {name}'s signing keys", name=p.name), 502) from exc
    with _jwks_lock:
        _jwks[p.jwks_url] = (keys, now + JWKS_TTL)
    return keys


def _claims(p: CustomOAuthProvider, raw: str) -> dict[str, Any]:
    try:
        token = jwt.decode(raw, _key_set(p), algorithms=ALGORITHMS)
        rules: dict[str, Any] = {"exp": {"essential": True}}
        if p.issuer.strip():
            rules["iss"] = {"essential": True, "value": p.issuer.strip()}
        if p.audience.strip():
            rules["aud"] = {"essential": True, "value": p.audience.strip()}
        jwt.JWTClaimsRegistry(leeway=LEEWAY_SECONDS, **rules).validate(token.claims)
    except (JoseError, ValueError) as exc:
        raise ServiceError(msg("the identity token is invalid or has expired"), 401) from exc
    return dict(token.claims)


def _identity(p: CustomOAuthProvider, body: Mapping[str, Any]) -> Identity:
    oauth_fields.enforce_policy(p.access_policy, body, p.access_denied_message, p.name)

    def field(path: str) -> str:
        value = oauth_fields.extract(body, path)
        return "" if value is None or isinstance(value, dict | list | bool) else str(value).strip()

    identity = Identity(field(p.user_id_field or "sub"), field(p.username_field), field(p.display_name_field),
                        field(p.email_field))
    if not identity.provider_user_id:
        raise ServiceError(msg("{name} returned no user id", name=p.name))
    return identity


def jwt_identity(p: CustomOAuthProvider, raw: str) -> Identity:
    raw = raw.strip()
    if not raw or len(raw) > 16384:
        raise ServiceError(msg("no identity token was given"))
    claims = _claims(p, raw)
    if (p.jwt_identity_mode or "claims") != "userinfo":
        return _identity(p, claims)
    header = (p.jwt_header or "Authorization").strip()
    value = f"Bearer {raw}" if header.lower() == "authorization" else raw
    try:
        reply = httpx.get(p.user_info_endpoint, headers={header: value, "Accept": "application/json"},
                          timeout=get_settings().OAUTH_HTTP_TIMEOUT)
        body = reply.json() if reply.status_code == 200 else None
    except (httpx.HTTPError, ValueError) as exc:
        raise ServiceError(msg("could not reach {name}, please try again", name=p.name), 502) from exc
    if not isinstance(body, dict):
        raise ServiceError(msg("{name} did not return the user's information", name=p.name))
    return _identity(p, body)


def header_identity(p: CustomOAuthProvider, peer: str, headers: Mapping[str, str]) -> Identity:
    try:
        address = ipaddress.ip_address(peer)
    except ValueError as exc:
        raise Forbidden(msg("this request did not come through a trusted proxy")) from exc
    if not any(address in net for net in custom_oauth.trusted_networks(p)):
        raise Forbidden(msg("this request did not come through a trusted proxy"))

    def one(name: str) -> str:
        return headers.get(name.strip(), "").strip() if name.strip() else ""

    identity = Identity(one(p.external_id_header), one(p.username_header), one(p.display_name_header),
                        one(p.email_header))
    if not identity.provider_user_id:
        raise ServiceError(msg("the trusted proxy sent no identity"), 401)
    return identity


def _merge_by_email(kind: oauth_accounts.AccountKind, identity: Identity) -> User | None:
    email = identity.email.strip().lower()
    if not email:
        return None
    with session_scope() as s:
        user = s.exec(select(User).where(User.email == email, User.deleted_at.is_(None))).first()
    if user is None:
        return None
    oauth_accounts.bind(kind, identity.provider_user_id, user.id)
    return user


def settle(p: CustomOAuthProvider, identity: Identity, current: User | None) -> tuple[str, User | None]:
    """("bind", None) for a logged-in browser; else ("login", user)."""
    kind = oauth_accounts.AccountKind(p.slug, p.name, None, p.id)
    if current is not None:
        oauth_accounts.bind(kind, identity.provider_user_id, current.id)
        return "bind", None
    user = oauth_accounts.find_user(kind, identity.provider_user_id)
    if user is None and p.auto_merge_by_email:
        user = _merge_by_email(kind, identity)
    if user is None:
        if not p.auto_register:
            raise Forbidden(msg("no account is bound to this {name} identity", name=p.name))
        new = oauth_accounts.NewAccount(identity.username, identity.display_name, identity.email)
        user = oauth_accounts.register(kind, identity.provider_user_id, new, require_open_registration=False)
    if user.status != UserStatus.ENABLED:
        raise Forbidden(msg("this user has been disabled"))
    return "login", user
