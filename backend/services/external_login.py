"""External logins of custom providers (new-api's `/api/auth/external/<slug>/{jwt,header}/login`).

`jwt_direct`: the browser posts a JWT the identity provider issued (plus the OAuth state). Its
signature is checked against the provider's JWKS URL or PEM public key (asymmetric algorithms
only: a shared secret would let anyone holding it mint identities), and `exp`, `iss`, `aud` as
configured. The identity comes from the claims, or from the user-info endpoint called with the
token (`jwt_identity_mode: userinfo`). The JWT is posted by the browser (`direct_token`) or obtained
for a one-time ticket (`ticket_exchange`, see external_ticket.py).

`trusted_header`: a reverse proxy in `trusted_proxy_cidrs` (checked against the socket peer, never
a forwarded header) vouches for the person through headers (`external_id_header`, ...).

New accounts are created only when the provider says `auto_register`; with `auto_merge_by_email`
an unbound identity whose email matches an existing account is bound to it.

Group and role mapping (new-api's): `group_field`/`role_field` (claims or user info; for a trusted
proxy, `group_header`/`role_header` with comma-separated values) name the person's groups and roles;
`group_mapping`/`role_mapping` (JSON `{external: ours}`) translate them, the first one that maps to
an existing group (a GroupRatio key or `auto`) or to a role (common or admin, never root) wins; in
`mapping_first` mode an unmapped value that is itself a group or role name is taken as is, in
`explicit_only` mode it is ignored. A new account starts with the mapped group and role; an existing
one is updated on each login when `sync_group_on_login`/`sync_role_on_login` say so. A root account's
role is never changed by a provider.
"""

from __future__ import annotations

import ipaddress
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import ECKey, KeySet, OKPKey, RSAKey
from sqlalchemy import update
from sqlmodel import col, select

from backend import cache
from backend.config import get_settings
from backend.db import session_scope
from backend.models import CustomOAuthProvider, User
from backend.models.enums import Role, UserStatus
from backend.services import custom_oauth, external_ticket, groups, oauth_accounts, oauth_fields
from backend.services.errors import Forbidden, ServiceError, msg
from backend.services.oauth_providers import Identity, server_address

ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"]
JWKS_TTL = 600.0
LEEWAY_SECONDS = 60

AUTO_GROUP = "auto"
_ROLE_NAMES = {"common": Role.COMMON, "user": Role.COMMON, "member": Role.COMMON, "1": Role.COMMON,
               "admin": Role.ADMIN, "administrator": Role.ADMIN, "10": Role.ADMIN}

_jwks_lock = threading.Lock()


@dataclass(frozen=True)
class External:
    """Who the provider says the person is, and the group and role it maps them to (empty/0: none)."""

    identity: Identity
    group: str = ""
    role: int = 0
_jwks: dict[str, tuple[KeySet, float]] = {}


def callback_url(p: CustomOAuthProvider) -> str:
    """Where the provider sent the browser back (the `service` of a ticket exchange)."""
    return server_address() + f"/oauth/{p.slug}"


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


def _candidates(value: Any) -> list[str]:
    items = value if isinstance(value, list) else [value]
    return [str(v).strip() for v in items if v is not None and not isinstance(v, dict | list) and str(v).strip()]


def _group_exists(group: str) -> bool:
    return group == AUTO_GROUP or group in groups.group_ratios()


def mapped_group(p: CustomOAuthProvider, candidates: list[str]) -> str:
    mapping = external_ticket.string_map(p.group_mapping)
    for value in candidates:
        if value in mapping:
            if _group_exists(mapping[value]):
                return mapping[value]
        elif p.group_mapping_mode == "mapping_first" and _group_exists(value):
            return value
    return ""


def mapped_role(p: CustomOAuthProvider, candidates: list[str]) -> int:
    mapping = external_ticket.string_map(p.role_mapping)
    for value in candidates:
        if value in mapping:
            role = _ROLE_NAMES.get(mapping[value].lower(), 0)
            if role:
                return int(role)
        elif p.role_mapping_mode == "mapping_first" and (role := _ROLE_NAMES.get(value.lower(), 0)):
            return int(role)
    return 0


def _external(p: CustomOAuthProvider, body: Mapping[str, Any]) -> External:
    oauth_fields.enforce_policy(p.access_policy, body, p.access_denied_message, p.name)

    def field(path: str) -> str:
        value = oauth_fields.extract(body, path)
        return "" if value is None or isinstance(value, dict | list | bool) else str(value).strip()

    identity = Identity(field(p.user_id_field or "sub"), field(p.username_field), field(p.display_name_field),
                        field(p.email_field))
    if not identity.provider_user_id:
        raise ServiceError(msg("{name} returned no user id", name=p.name))
    group_values = _candidates(oauth_fields.extract(body, p.group_field)) if p.group_field.strip() else []
    role_values = _candidates(oauth_fields.extract(body, p.role_field)) if p.role_field.strip() else []
    return External(identity, mapped_group(p, group_values), mapped_role(p, role_values))


def jwt_identity(p: CustomOAuthProvider, raw: str, ticket: str = "", callback_url: str = "",
                 state: str = "") -> External:
    if (p.jwt_acquire_mode or "direct_token") == "ticket_exchange":
        raw = external_ticket.exchange(p, ticket, callback_url, state)
    raw = raw.strip()
    if not raw or len(raw) > 16384:
        raise ServiceError(msg("no identity token was given"))
    claims = _claims(p, raw)
    if (p.jwt_identity_mode or "claims") != "userinfo":
        return _external(p, claims)
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
    return _external(p, body)


def header_identity(p: CustomOAuthProvider, peer: str, headers: Mapping[str, str]) -> External:
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
    group_values = [v.strip() for v in one(p.group_header).split(",") if v.strip()]
    role_values = [v.strip() for v in one(p.role_header).split(",") if v.strip()]
    return External(identity, mapped_group(p, group_values), mapped_role(p, role_values))


def _merge_by_email(kind: oauth_accounts.AccountKind, identity: Identity) -> User | None:
    email = identity.email.strip().lower()
    if not email:
        return None
    with session_scope() as s:
        user = s.exec(select(User).where(User.email == email, col(User.deleted_at).is_(None))).first()
    if user is None:
        return None
    oauth_accounts.bind(kind, identity.provider_user_id, user.id)
    return user


def _apply_mapping(user: User, external: External, *, group: bool, role: bool) -> User:
    """Give the user the mapped group/role (what the caller allows); a root keeps their role."""
    values: dict[str, Any] = {}
    if group and external.group and external.group != user.group:
        values["group"] = external.group
    if role and external.role and external.role != user.role and user.role < Role.ROOT:
        values["role"] = external.role
    if not values:
        return user
    with session_scope() as s:
        s.execute(update(User).where(col(User.id) == user.id).values(**values))
        fresh = s.get(User, user.id)
    cache.invalidate_user(user.id)
    return fresh if fresh is not None else user


def settle(p: CustomOAuthProvider, external: External, current: User | None) -> tuple[str, User | None]:
    """("bind", None) for a logged-in browser; else ("login", user)."""
    identity = external.identity
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
        user = _apply_mapping(user, external, group=True, role=True)
    else:
        user = _apply_mapping(user, external, group=p.sync_group_on_login, role=p.sync_role_on_login)
    if user.status != UserStatus.ENABLED:
        raise Forbidden(msg("this user has been disabled"))
    return "login", user
