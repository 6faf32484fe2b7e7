"""Accounts as the user sees them: register, log in, edit or delete oneself, PAT, invites, settings."""

from __future__ import annotations

import json
import secrets
import string
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import or_, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from backend import cache
from backend.auth.passwords import hash_password, verify_password
from backend.cache import channels
from backend.config import get_settings
from backend.db import session_scope
from backend.models import User
from backend.models.enums import LogType, Role, UserStatus
from backend.models.schemas.user import UserAdminPublic, UserPublic, UserSelfUpdate
from backend.models.validation import (
    check_display_name,
    check_email,
    check_password,
    check_username,
    is_email,
)
from backend.services import activity_log, ledger, options, sessions, ssrf, tokens, verification
from backend.services.errors import Forbidden, NotFound, ServiceError, msg

_ALNUM = string.ascii_letters + string.digits

# users.setting keys a user may write, with their types.
_SETTING_FIELDS: dict[str, type | tuple[type, ...]] = {
    "notify_type": str,
    "quota_warning_threshold": (int, float),
    "webhook_url": str,
    "webhook_secret": str,
    "notification_email": str,
    "accept_unset_model_ratio_model": bool,
    "bark_url": str,
    "gotify_url": str,
    "gotify_token": str,
    "gotify_priority": int,
}
_HIDDEN_SETTINGS = ("webhook_secret", "gotify_token")  # stored, never shown back


def _public_fields(u: User) -> dict[str, Any]:
    return {
        "id": u.id,
        "username": u.username,
        "display_name": u.display_name,
        "role": u.role,
        "status": u.status,
        "email": u.email,
        "github_id": u.github_id,
        "oidc_id": u.oidc_id,
        "wechat_id": u.wechat_id,
        "telegram_id": u.telegram_id,
        "linux_do_id": u.linux_do_id,
        "discord_id": u.discord_id,
        "quota": u.quota,
        "used_quota": u.used_quota,
        "request_count": u.request_count,
        "group": u.group,
        "aff_code": u.aff_code or "",
        "aff_count": u.aff_count,
        "aff_quota": u.aff_quota,
        "aff_history_quota": u.aff_history_quota,
        "inviter_id": u.inviter_id,
        "setting": json.dumps(visible_setting(u)),
    }


def public_user(u: User) -> UserPublic:
    """A user as the API shows it: never the password hash, the PAT or the webhook secret."""
    return UserPublic(**_public_fields(u))


def admin_user(u: User) -> UserAdminPublic:
    """A user as admins see them: also the remark and when the user was soft-deleted."""
    return UserAdminPublic(
        **_public_fields(u), remark=u.remark or "", deleted_at=u.deleted_at.isoformat() if u.deleted_at else None,
    )


def self_view(u: User) -> UserPublic:
    """The user's own profile with live counters: the ledger's balance (what the DB will hold once
    pending charges are flushed) rather than the row, which lags by up to BATCH_UPDATE_INTERVAL."""
    live = ledger.get_ledger()
    used, requests = live.unflushed_user_usage(u.id)
    return public_user(u).model_copy(update={
        "quota": live.user_quota(u.id),
        "used_quota": u.used_quota + used,
        "request_count": u.request_count + requests,
    })


def load_setting(u: User) -> dict[str, Any]:
    try:
        value = json.loads(u.setting or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def visible_setting(u: User) -> dict[str, Any]:
    setting = load_setting(u)
    for key in _HIDDEN_SETTINGS:
        setting.pop(key, None)
    return setting


def new_aff_code(s: Session) -> str:
    while True:
        code = "".join(secrets.choice(_ALNUM) for _ in range(4))
        if s.exec(select(User.id).where(col(User.aff_code) == code)).first() is None:
            return code


def create_user(
    s: Session, username: str, password: str, *, display_name: str = "", role: int = Role.COMMON,
    quota: int = 0, email: str = "", inviter_id: int = 0, group: str = "default",
) -> User:
    """Insert a user in the caller's transaction. Soft-deleted users keep their name (unique index)."""
    check_username(username)
    check_password(password)
    check_display_name(display_name)
    if s.exec(select(User.id).where(col(User.username) == username)).first() is not None:
        raise ServiceError(msg("this username is already taken"))
    user = User(
        username=username, password=hash_password(password), display_name=display_name or username,
        role=int(role), status=UserStatus.ENABLED, email=email, quota=quota, inviter_id=inviter_id,
        invite_rebate_eligible=inviter_id > 0, group=group, aff_code=new_aff_code(s),
    )
    s.add(user)
    try:
        s.flush()
    except IntegrityError as exc:
        raise ServiceError(msg("this username is already taken")) from exc
    return user


def register(
    username: str, password: str, email: str = "", aff_code: str = "", verification_code: str = "",
) -> User:
    if not (options.get_bool("RegisterEnabled") and options.get_bool("PasswordRegisterEnabled")):
        raise Forbidden(msg("registration by password is disabled by the administrator"))
    verify = options.get_bool("EmailVerificationEnabled")
    if verify and not email:
        raise ServiceError(msg("an email address and its verification code are required"))
    check_email(email)
    # Checked here and used up inside the transaction below: a refused registration (name taken)
    # keeps the code, and two registrations cannot share one.
    if verify and not verification.check(verification.EMAIL_CODE, email, verification_code):
        raise ServiceError(msg("the verification code is wrong or has expired"))
    quota = options.get_int("QuotaForNewUser")
    invitee_bonus = inviter_bonus = 0
    with session_scope() as s:
        inviter = None
        if aff_code:
            inviter = s.exec(select(User).where(col(User.aff_code) == aff_code, col(User.deleted_at).is_(None))).first()
        if inviter is not None:
            invitee_bonus = options.get_int("QuotaForInvitee")
            inviter_bonus = options.get_int("QuotaForInviter")
        user = create_user(
            s, username, password, quota=quota + invitee_bonus, email=email,
            inviter_id=inviter.id if inviter else 0,
        )
        if verify:
            taken = s.exec(select(User.id).where(col(User.email) == email, col(User.id) != user.id, col(User.deleted_at).is_(None)))
            if taken.first() is not None:
                raise ServiceError(msg("this email address is already in use"))
            if not verification.consume(verification.EMAIL_CODE, email, verification_code):
                raise ServiceError(msg("the verification code is wrong or has expired"))
        if inviter is not None:
            s.execute(
                update(User).where(col(User.id) == inviter.id).values(
                    aff_count=User.aff_count + 1,
                    aff_quota=User.aff_quota + inviter_bonus,
                    aff_history_quota=User.aff_history_quota + inviter_bonus,
                )
            )
        if get_settings().GENERATE_DEFAULT_TOKEN:
            tokens.insert_default_token(s, user)
    cache.invalidate_user(user.id)
    if inviter is not None:
        cache.invalidate_user(inviter.id)
    if quota:
        activity_log.record(user.id, user.username, LogType.SYSTEM, f"new user bonus {activity_log.format_quota(quota)}",
                            other={"event": "signup_bonus", "quota": quota})
    if invitee_bonus:
        activity_log.record(
            user.id, user.username, LogType.SYSTEM, f"invitation bonus {activity_log.format_quota(invitee_bonus)}",
            other={"event": "invitee_bonus", "quota": invitee_bonus},
        )
    if inviter is not None and inviter_bonus:
        activity_log.record(
            inviter.id, inviter.username, LogType.SYSTEM,
            f"invited {user.username}: {activity_log.format_quota(inviter_bonus)} added to the invitation reward",
            other={"event": "inviter_reward", "invitee": user.username, "quota": inviter_bonus},
        )
    return user


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return hash_password(secrets.token_hex(8))


def login(username: str, password: str) -> User:
    """Username or email plus password. One generic error for every failure (no account probing)."""
    if not options.get_bool("PasswordLoginEnabled"):
        raise Forbidden(msg("password login is disabled by the administrator"))
    if not username or not password:
        raise ServiceError(msg("invalid username or password"))
    with session_scope() as s:
        candidates = s.exec(
            select(User).where(or_(col(User.username) == username, col(User.email) == username), col(User.deleted_at).is_(None))
        ).all()
    user = next((u for u in candidates if u.username == username), None) or (candidates[0] if candidates else None)
    # Hash anyway on a miss, so timing does not reveal whether the name exists.
    hashed = user.password if user else _dummy_hash()
    if not verify_password(password, hashed) or user is None:
        raise ServiceError(msg("invalid username or password"))
    if user.status != UserStatus.ENABLED:
        raise Forbidden(msg("this user has been disabled"))
    return user


def get_user(user_id: int) -> User:
    with session_scope() as s:
        user = s.get(User, user_id)
        if user is None or user.deleted_at is not None:
            raise NotFound(msg("user not found"))
        return user


def update_self(user_id: int, data: UserSelfUpdate, *, keep_session: str | None = None) -> User:
    """A password change also ends every other session of the user (all but the one whose cookie is
    `keep_session`) and clears the personal access token: whoever had the old password, or a
    token obtained with it, is out."""
    with session_scope() as s:
        user = s.get(User, user_id)
        if user is None or user.deleted_at is not None:
            raise NotFound(msg("user not found"))
        if data.username is not None and data.username != user.username:
            check_username(data.username)
            if s.exec(select(User.id).where(col(User.username) == data.username)).first() is not None:
                raise ServiceError(msg("this username is already taken"))
            user.username = data.username
        if data.display_name is not None:
            check_display_name(data.display_name)
            user.display_name = data.display_name
        if data.password:
            check_password(data.password)
            if not verify_password(data.original_password or "", user.password):
                raise ServiceError(msg("the original password is wrong"))
            user.password = hash_password(data.password)
            user.access_token = None
            sessions.end_user_sessions(s, user_id, keep=keep_session)
        s.add(user)
        try:
            s.flush()
        except IntegrityError as exc:
            raise ServiceError(msg("this username is already taken")) from exc
    cache.invalidate_user(user_id)
    return user


def delete_self(user_id: int) -> None:
    with session_scope() as s:
        user = s.get(User, user_id)
        if user is None or user.deleted_at is not None:
            raise NotFound(msg("user not found"))
        if user.role >= Role.ROOT:
            raise Forbidden(msg("the root user cannot delete itself"))
        user.deleted_at = datetime.now(UTC).replace(tzinfo=None)
        s.add(user)
        sessions.end_user_sessions(s, user_id)
    cache.invalidate_user(user_id)


def rotate_access_token(user_id: int) -> str:
    """A fresh personal access token, returned this once (the API never shows it again)."""
    token = secrets.token_urlsafe(24)  # 32 characters
    with session_scope() as s:
        s.execute(update(User).where(col(User.id) == user_id).values(access_token=token))
    cache.invalidate_user(user_id)
    return token


def aff_code(user_id: int) -> str:
    with session_scope() as s:
        user = s.get(User, user_id)
        if user is None:
            raise NotFound(msg("user not found"))
        if not user.aff_code:
            user.aff_code = new_aff_code(s)
            s.add(user)
        code = user.aff_code
    cache.invalidate_user(user_id)
    return code


def transfer_aff_quota(user_id: int, quota: int) -> None:
    """Move invitation rewards into the spendable balance (at least $1 worth). The conditional
    UPDATE checks and moves in one statement, so two concurrent transfers cannot overdraw."""
    minimum = int(options.get_float("QuotaPerUnit") or 500000)
    if quota < minimum:
        raise ServiceError(msg("the transfer must be at least {minimum}", minimum=activity_log.format_quota(minimum)))
    with session_scope() as s:
        moved = s.exec(
            update(User)
            .where(col(User.id) == user_id, col(User.aff_quota) >= quota)
            .values(aff_quota=User.aff_quota - quota, quota=User.quota + quota)
        ).rowcount
        if moved != 1:
            raise ServiceError(msg("not enough invitation reward to transfer"))
        username = s.get_one(User, user_id).username  # the update above matched the row
    ledger.forget_user(user_id)
    cache.invalidate_user(user_id)
    activity_log.record(user_id, username, LogType.SYSTEM,
                        f"transferred {activity_log.format_quota(quota)} of invitation reward to the balance",
                        other={"event": "reward_transfer", "quota": quota})


def update_setting(user_id: int, data: dict[str, Any]) -> dict[str, Any]:
    """Notification settings. An absent webhook_secret or gotify_token keeps the stored one (never shown)."""
    clean: dict[str, Any] = {}
    for key, value in data.items():
        kind = _SETTING_FIELDS.get(key)
        if kind is None:
            continue
        if value is None or isinstance(value, bool) and kind is not bool or not isinstance(value, kind):
            raise ServiceError(msg("invalid value for {key}", key=key))
        clean[key] = value
    notify = clean.get("notify_type", "email")
    if notify not in ("email", "webhook", "bark", "gotify"):
        raise ServiceError(msg("the notification method must be email, webhook, Bark or Gotify"))
    if "quota_warning_threshold" in clean and clean["quota_warning_threshold"] <= 0:
        raise ServiceError(msg("the quota warning threshold must be positive"))
    if notify == "webhook" and not str(clean.get("webhook_url", "")).startswith(("https://", "http://")):
        raise ServiceError(msg("a webhook notification needs a webhook URL starting with http:// or https://"))
    if notify == "bark" and not str(clean.get("bark_url", "")).startswith(("https://", "http://")):
        raise ServiceError(msg("a Bark notification needs a Bark URL starting with http:// or https://"))
    if notify == "gotify" and not (str(clean.get("gotify_url", "")).startswith(("https://", "http://"))
                                   and (clean.get("gotify_token") or _stored(user_id, "gotify_token"))):
        raise ServiceError(msg("a Gotify notification needs a Gotify URL starting with http:// or https:// and an application token"))
    if not 0 <= clean.get("gotify_priority", 5) <= 10:
        raise ServiceError(msg("the Gotify priority must be between 0 and 10"))
    for key in ("webhook_url", "bark_url", "gotify_url"):
        if clean.get(key):
            # Early word on a target the sender would refuse (private address, port, host lists);
            # sending re-checks with DNS at connect time (safe_fetch), as the rules may change meanwhile.
            ssrf.check_url(clean[key].replace("{{title}}", "t").replace("{{content}}", "c"))
    email = clean.get("notification_email", "")
    if email and not is_email(email):
        raise ServiceError(msg("invalid notification email"))
    with session_scope() as s:
        user = s.get(User, user_id)
        if user is None:
            raise NotFound(msg("user not found"))
        current = load_setting(user)
        for key in _HIDDEN_SETTINGS:
            if key not in clean and key in current:
                clean[key] = current[key]
        merged = {k: v for k, v in current.items() if k not in _SETTING_FIELDS} | clean
        user.setting = json.dumps(merged)
        s.add(user)
    cache.invalidate_user(user_id)
    return visible_setting(user)


def _stored(user_id: int, key: str) -> Any:
    with session_scope() as s:
        user = s.get(User, user_id)
        return load_setting(user).get(key) if user is not None else None


def models_for_group(group: str) -> list[str]:
    """Models with at least one enabled channel in the group (the routing cache's view)."""
    return channels.models_for_group(group)
