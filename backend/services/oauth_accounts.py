"""Accounts behind external identities: find the user an identity belongs to, create one on first
login (when registration is on), bind an identity to the logged-in user, and clear bindings.

Built-in providers keep the identity in a `users` column (github_id, oidc_id, telegram_id, ...,
as new-api does); custom providers in `user_oauth_bindings`. A new account is named after the
identity's username when free, else `<provider>_<max id + 1>` (new-api's rule), with a random
suffix if even that is taken; it gets no usable password (a random one nobody knows).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import func, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from backend import cache
from backend.auth.passwords import hash_password
from backend.config import get_settings
from backend.db import session_scope
from backend.models import CustomOAuthProvider, User, UserOAuthBinding
from backend.models.enums import LogType, Role, UserStatus
from backend.models.validation import is_email
from backend.services import activity_log, options, tokens, users
from backend.services.errors import Forbidden, NotFound, ServiceError, msg

USERNAME_MAX = 20
# new-api's ClearBinding: binding type -> users column.
BINDING_COLUMNS = {
    "email": "email", "github": "github_id", "discord": "discord_id", "oidc": "oidc_id",
    "wechat": "wechat_id", "telegram": "telegram_id", "linuxdo": "linux_do_id",
}


@dataclass(frozen=True)
class AccountKind:
    """Where identities of one provider are kept, and how its new accounts are named."""

    slug: str
    name: str
    column: str | None = None  # users column, or None: user_oauth_bindings of custom_id
    custom_id: int | None = None

    @property
    def prefix(self) -> str:
        return f"{self.slug[:USERNAME_MAX - 8]}_"


@dataclass(frozen=True)
class NewAccount:
    username: str = ""
    display_name: str = ""
    email: str = ""


def _owner_ids(s: Session, kind: AccountKind, external_id: str) -> list[int]:
    if kind.column is not None:
        column = getattr(User, kind.column)
        return list(s.exec(select(User.id).where(column == external_id)).all())
    return list(s.exec(select(UserOAuthBinding.user_id).where(
        UserOAuthBinding.provider_id == kind.custom_id, UserOAuthBinding.provider_user_id == external_id)).all())


def find_user(kind: AccountKind, external_id: str) -> User | None:
    """The live user holding this identity; None if nobody does. A deleted holder is refused."""
    if not external_id:
        return None
    with session_scope() as s:
        ids = _owner_ids(s, kind, external_id)
        if not ids:
            return None
        found = s.exec(select(User).where(col(User.id).in_(ids), col(User.deleted_at).is_(None))).first()
    if found is None:
        raise Forbidden(msg("the account bound to this login has been deleted"))
    return found


def is_taken(kind: AccountKind, external_id: str) -> bool:
    with session_scope() as s:
        return bool(_owner_ids(s, kind, external_id))


def _free_username(s: Session, kind: AccountKind, wanted: str) -> str:
    wanted = wanted.strip()
    if wanted and len(wanted) <= USERNAME_MAX and not any(c.isspace() for c in wanted) \
            and s.exec(select(User.id).where(User.username == wanted)).first() is None:
        return wanted
    max_id = s.exec(select(func.max(User.id))).one() or 0
    name = f"{kind.prefix}{max_id + 1}"[:USERNAME_MAX]
    while s.exec(select(User.id).where(User.username == name)).first() is not None:
        name = f"{kind.prefix}{secrets.token_hex(3)}"[:USERNAME_MAX]
    return name


def _attach(s: Session, kind: AccountKind, user: User, external_id: str) -> None:
    if kind.column is not None:
        setattr(user, kind.column, external_id)
        s.add(user)
    else:
        assert kind.custom_id is not None  # a kind without a users column is a custom provider
        s.add(UserOAuthBinding(user_id=user.id, provider_id=kind.custom_id, provider_user_id=external_id,
                               created_at=datetime.now(UTC).replace(tzinfo=None)))


def register(kind: AccountKind, external_id: str, new: NewAccount, aff: str = "", *,
             require_open_registration: bool = True) -> User:
    """A new account holding this identity, with new-api's bonuses. RegisterEnabled must be on,
    unless the caller decided otherwise (an enterprise provider's own `auto_register`)."""
    if require_open_registration and not options.get_bool("RegisterEnabled"):
        raise Forbidden(msg("registration of new users is disabled by the administrator"))
    email = new.email.strip().lower()
    if email and not is_email(email):
        email = ""
    quota = options.get_int("QuotaForNewUser")
    invitee_bonus = inviter_bonus = 0
    with session_scope() as s:
        if email and s.exec(select(User.id).where(User.email == email, col(User.deleted_at).is_(None))).first():
            raise ServiceError(msg("this email address is already in use by another account"))
        inviter = None
        if aff:
            inviter = s.exec(select(User).where(User.aff_code == aff, col(User.deleted_at).is_(None))).first()
        if inviter is not None:
            invitee_bonus, inviter_bonus = options.get_int("QuotaForInvitee"), options.get_int("QuotaForInviter")
        username = _free_username(s, kind, new.username)
        display = (new.display_name or new.username or f"{kind.name} User").strip()[:USERNAME_MAX]
        user = User(
            username=username, password=hash_password(secrets.token_urlsafe(24)), display_name=display,
            role=int(Role.COMMON), status=int(UserStatus.ENABLED), email=email, quota=quota + invitee_bonus,
            inviter_id=inviter.id if inviter else 0, invite_rebate_eligible=inviter is not None,
            group="default", aff_code=users.new_aff_code(s),
        )
        s.add(user)
        try:
            s.flush()
            _attach(s, kind, user, external_id)
            s.flush()
        except IntegrityError as exc:
            raise ServiceError(msg("this account was just created by another request, please try again"), 409) from exc
        if inviter is not None:
            s.execute(update(User).where(col(User.id) == inviter.id).values(
                aff_count=User.aff_count + 1, aff_quota=User.aff_quota + inviter_bonus,
                aff_history_quota=User.aff_history_quota + inviter_bonus))
        if get_settings().GENERATE_DEFAULT_TOKEN:
            tokens.insert_default_token(s, user)
    cache.invalidate_user(user.id)
    if inviter is not None:
        cache.invalidate_user(inviter.id)
    activity_log.record(user.id, user.username, LogType.SYSTEM, f"registered through {kind.name}",
                        other={"event": "oauth_signup", "provider": kind.name})
    if quota:
        activity_log.record(user.id, user.username, LogType.SYSTEM,
                            f"new user bonus {activity_log.format_quota(quota)}",
                            other={"event": "signup_bonus", "quota": quota})
    if invitee_bonus:
        activity_log.record(user.id, user.username, LogType.SYSTEM,
                            f"invitation bonus {activity_log.format_quota(invitee_bonus)}",
                            other={"event": "invitee_bonus", "quota": invitee_bonus})
    if inviter is not None and inviter_bonus:
        activity_log.record(inviter.id, inviter.username, LogType.SYSTEM,
                            f"invited {user.username}: {activity_log.format_quota(inviter_bonus)} added to the invitation reward",
                            other={"event": "inviter_reward", "invitee": user.username, "quota": inviter_bonus})
    return user


def login_or_register(kind: AccountKind, external_id: str, new: NewAccount, aff: str = "",
                      legacy_id: str = "") -> User:
    """The enabled user this identity logs in as, created on first use when registration is on."""
    user = find_user(kind, external_id)
    if user is None and legacy_id and kind.column is not None:
        user = find_user(kind, legacy_id)
        if user is not None:  # an old One API row kept GitHub's login: move it to the numeric id
            with session_scope() as s:
                s.execute(update(User).where(col(User.id) == user.id).values({kind.column: external_id}))
            cache.invalidate_user(user.id)
    if user is None:
        user = register(kind, external_id, new, aff)
    if user.status != UserStatus.ENABLED:
        raise Forbidden(msg("this user has been disabled"))
    return user


def bind(kind: AccountKind, external_id: str, user_id: int, legacy_id: str = "") -> None:
    """Attach the identity to the user. Refused when another account (or the legacy id) holds it."""
    if not external_id:
        raise ServiceError(msg("the provider returned no user id"))
    with session_scope() as s:
        owners = set(_owner_ids(s, kind, external_id))
        if legacy_id:
            owners |= set(_owner_ids(s, kind, legacy_id))
        if owners - {user_id}:
            raise ServiceError(msg("this {name} account is already bound to another user", name=kind.name))
        user = s.get(User, user_id)
        if user is None or user.deleted_at is not None:
            raise NotFound(msg("user not found"))
        if kind.column is None:
            current = s.exec(select(UserOAuthBinding).where(
                UserOAuthBinding.user_id == user_id, UserOAuthBinding.provider_id == kind.custom_id)).first()
            if current is not None:
                current.provider_user_id = external_id
                s.add(current)
            else:
                _attach(s, kind, user, external_id)
        else:
            _attach(s, kind, user, external_id)
        try:
            s.flush()
        except IntegrityError as exc:
            raise ServiceError(msg("this {name} account is already bound to another user", name=kind.name)) from exc
    cache.invalidate_user(user_id)


def clear_binding(user_id: int, binding_type: str) -> None:
    """new-api's ClearBinding: empty one of the users table's identity columns (or the email)."""
    column = BINDING_COLUMNS.get(binding_type.strip().lower())
    if column is None:
        raise ServiceError(msg("invalid binding type"))
    with session_scope() as s:
        user = s.get(User, user_id)
        if user is None or user.deleted_at is not None:
            raise NotFound(msg("user not found"))
        setattr(user, column, "")
        s.add(user)
    cache.invalidate_user(user_id)


def custom_bindings(user_id: int) -> list[dict]:
    """new-api's UserOAuthBindingResponse list: the user's custom-provider bindings."""
    with session_scope() as s:
        rows = s.exec(select(UserOAuthBinding, CustomOAuthProvider)
                      .join(CustomOAuthProvider, col(CustomOAuthProvider.id) == UserOAuthBinding.provider_id)
                      .where(col(UserOAuthBinding.user_id) == user_id)
                      .order_by(col(UserOAuthBinding.provider_id))).all()
    return [{"provider_id": p.id, "provider_name": p.name, "provider_slug": p.slug, "provider_icon": p.icon,
             "provider_user_id": b.provider_user_id} for b, p in rows]


def unbind_custom(user_id: int, provider_id: int) -> None:
    with session_scope() as s:
        binding = s.exec(select(UserOAuthBinding).where(
            UserOAuthBinding.user_id == user_id, UserOAuthBinding.provider_id == provider_id)).first()
        if binding is not None:
            s.delete(binding)
    cache.invalidate_user(user_id)


def clear_own_binding(user_id: int, binding_type: str) -> None:
    """A user unbinding a built-in provider from their own account: refused when nothing else
    (another identity, or an email to reset the password with) would be left to sign in with."""
    column = BINDING_COLUMNS.get(binding_type.strip().lower())
    if column is None or column == "email":
        raise ServiceError(msg("invalid binding type"))
    with session_scope() as s:
        user = s.get(User, user_id)
        if user is None or user.deleted_at is not None:
            raise NotFound(msg("user not found"))
        others = [c for c in BINDING_COLUMNS.values() if c != column and getattr(user, c)]
        custom = s.exec(select(UserOAuthBinding.id).where(UserOAuthBinding.user_id == user_id)).first()
    if not others and custom is None:
        raise ServiceError(msg("bind an email address or another login first: this is your account's last way in"))
    clear_binding(user_id, binding_type)
