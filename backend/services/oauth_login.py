"""`GET /api/oauth/<provider>`'s decision, shared by every OAuth provider: with a session, bind the
identity to that user; without, log in the user holding it, registering one when allowed."""

from __future__ import annotations

from dataclasses import dataclass

from backend.models import User
from backend.services import custom_oauth, oauth_accounts, oauth_providers
from backend.services.errors import ServiceError, msg
from backend.services.oauth_providers import Identity, Provider


@dataclass(frozen=True)
class Outcome:
    action: str  # "login" or "bind"
    user: User | None = None


def provider(slug: str) -> Provider:
    """A built-in provider or an oauth_code custom one; 400 for anything else."""
    slug = slug.strip().lower()
    if slug in oauth_providers.BUILTIN:
        return oauth_providers.BUILTIN[slug]
    row = custom_oauth.by_slug(slug)
    if row is None or (row.kind or "oauth_code") != "oauth_code":
        raise ServiceError(msg("unknown OAuth provider"))
    return oauth_providers.custom(row)


def account_kind(p: Provider) -> oauth_accounts.AccountKind:
    return oauth_accounts.AccountKind(p.slug, p.name, p.column, p.custom_id)


def settle(p: Provider, identity: Identity, *, current: User | None, aff: str = "") -> Outcome:
    kind = account_kind(p)
    if current is not None:
        oauth_accounts.bind(kind, identity.provider_user_id, current.id, legacy_id=identity.legacy_id)
        return Outcome("bind")
    new = oauth_accounts.NewAccount(identity.username, identity.display_name, identity.email)
    user = oauth_accounts.login_or_register(kind, identity.provider_user_id, new, aff, legacy_id=identity.legacy_id)
    return Outcome("login", user)


def complete(p: Provider, code: str, *, current: User | None, aff: str = "") -> Outcome:
    if not p.enabled():
        raise ServiceError(msg("{name} login is not enabled by the administrator", name=p.name), 403)
    return settle(p, p.identify_code(code), current=current, aff=aff)
