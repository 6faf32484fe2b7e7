"""Admin user management with new-api's role rules, done right.

An admin may act only on users of a lower role; only root promotes; root is never disabled,
deleted or demoted. Admin DELETE is hard, manage->delete is soft (like new-api).
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import delete, or_
from sqlalchemy import update as sql_update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from backend import cache
from backend.auth.passwords import hash_password
from backend.db import session_scope
from backend.models import Token, User
from backend.models.enums import LogType, Role, UserStatus
from backend.models.schemas.user import UserAdminPublic, UserCreate, UserRoleStatus, UserUpdate
from backend.models.validation import check_display_name, check_email, check_password, check_username
from backend.services import activity_log, groups, keywords, ledger, sessions
from backend.services.errors import Forbidden, NotFound, ServiceError, msg
from backend.services.paging import page_of
from backend.services.users import admin_user, create_user

ACTIONS = ("disable", "enable", "delete", "promote", "demote")


def list_users(p: int, page_size: int) -> tuple[list[UserAdminPublic], int]:
    """Every user, soft-deleted ones included (admins need to see them), newest first."""
    with session_scope() as s:
        rows, total = page_of(s, User, (), p, page_size)
    return [admin_user(u) for u in rows], total


def search_users(keyword: str, group: str, p: int, page_size: int) -> tuple[list[UserAdminPublic], int]:
    conds = []
    if keyword:
        match = [column.contains(keyword, autoescape=True)
                 for column in (col(User.username), col(User.email), col(User.display_name))]
        if (row_id := keywords.as_id(keyword)) is not None:
            match.append(col(User.id) == row_id)
        conds.append(or_(*match))
    if group:
        conds.append(col(User.group) == group)
    with session_scope() as s:
        rows, total = page_of(s, User, conds, p, page_size)
    return [admin_user(u) for u in rows], total


def _target(s, actor: User, user_id: int) -> User:  # noqa: ANN001
    user = s.get(User, user_id)
    if user is None:
        raise NotFound(msg("user not found"))
    if actor.role <= user.role and actor.role != Role.ROOT:
        raise Forbidden(msg("no permission to act on a user of the same or a higher role"))
    return user


def get_user(actor: User, user_id: int) -> UserAdminPublic:
    with session_scope() as s:
        return admin_user(_target(s, actor, user_id))


def create(actor: User, data: UserCreate) -> UserAdminPublic:
    """A new account (username and display name trimmed) of a lower role than the actor's."""
    if data.role >= actor.role:
        raise Forbidden(msg("cannot create a user with a role equal to or higher than your own"))
    if data.role not in (Role.COMMON, Role.ADMIN):
        raise ServiceError(msg("invalid role"))
    with session_scope() as s:
        user = create_user(s, data.username.strip(), data.password, display_name=data.display_name.strip(),
                           role=data.role)
        return admin_user(user)


def update(actor: User, data: UserUpdate) -> UserAdminPublic:
    """Edit name, display name, password, group, quota, email, remark (the fields sent, not
    None). A quota change is logged."""
    user_id = data.id
    fields = data.model_dump(exclude={"id"}, exclude_none=True)
    quota_change: tuple[int, int] | None = None  # (old, new)
    with session_scope() as s:
        user = _target(s, actor, user_id)
        if "username" in fields and fields["username"] != user.username:
            check_username(fields["username"])
            if s.exec(select(User.id).where(col(User.username) == fields["username"])).first() is not None:
                raise ServiceError(msg("this username is already taken"))
            user.username = fields["username"]
        if "display_name" in fields:
            check_display_name(fields["display_name"])
            user.display_name = fields["display_name"]
        if fields.get("password"):
            # A reset by an admin is what follows a stolen account: every session and the access
            # token end with the old password.
            check_password(fields["password"])
            user.password = hash_password(fields["password"])
            user.access_token = None
            sessions.end_user_sessions(s, user_id)
        if "group" in fields and fields["group"] != user.group:
            if fields["group"] not in groups.group_ratios():
                raise ServiceError(msg("unknown group"))
            user.group = fields["group"]
        if "email" in fields:
            check_email(fields["email"])
            user.email = fields["email"]
        if "remark" in fields:
            if len(fields["remark"]) > 255:
                raise ServiceError(msg("the remark must be at most 255 characters"))
            user.remark = fields["remark"]
        if "quota" in fields and fields["quota"] != user.quota:
            if fields["quota"] < 0:
                raise ServiceError(msg("quota cannot be negative"))
            quota_change = (user.quota, fields["quota"])
        s.add(user)
        try:
            s.flush()
        except IntegrityError as exc:
            raise ServiceError(msg("this username is already taken")) from exc
        if quota_change is not None:
            old_quota, new_quota = quota_change
            # Applied as a delta, so spending not yet flushed by the ledger is not overwritten.
            s.execute(sql_update(User).where(col(User.id) == user_id).values(quota=User.quota + (new_quota - old_quota)))
            s.refresh(user)
    if quota_change is not None:
        ledger.forget_user(user_id)
    cache.invalidate_user(user_id)
    if quota_change is not None:
        old_quota, new_quota = quota_change
        activity_log.record(
            user.id, user.username, LogType.MANAGE,
            f"admin {actor.username} changed the quota from {activity_log.format_quota(old_quota)}"
            f" to {activity_log.format_quota(new_quota)}",
            other={"event": "admin_quota", "admin": actor.username, "old_quota": old_quota, "new_quota": new_quota},
        )
    return admin_user(user)


def hard_delete(actor: User, user_id: int) -> None:
    with session_scope() as s:
        user = _target(s, actor, user_id)
        if user.role >= Role.ROOT:
            raise Forbidden(msg("the root user cannot be deleted"))
        owned = s.exec(select(Token.id, Token.key).where(col(Token.user_id) == user_id)).all()
        s.execute(delete(Token).where(col(Token.user_id) == user_id))
        s.delete(user)
        sessions.end_user_sessions(s, user_id)
    # Charges not yet flushed die with the rows they were for (ids are never reused, so they could
    # only land on nothing; dropping them keeps no trace of the user in any instance's ledger).
    ledger.discard_user(user_id, [token_id for token_id, _key in owned])
    for _token_id, key in owned:
        cache.invalidate_token(key)
    cache.invalidate_user(user_id)


def manage(actor: User, user_id: int, action: str) -> UserRoleStatus:
    if action not in ACTIONS:
        raise ServiceError(msg("invalid action"))
    with session_scope() as s:
        user = _target(s, actor, user_id)
        if user.role >= Role.ROOT and action in ("disable", "delete", "demote"):
            raise Forbidden(msg("the root user cannot be disabled, deleted or demoted"))
        if action == "disable":
            user.status = UserStatus.DISABLED
        elif action == "enable":
            user.status = UserStatus.ENABLED
        elif action == "delete":
            user.deleted_at = datetime.now(UTC).replace(tzinfo=None)
        elif action == "promote":
            if actor.role != Role.ROOT:
                raise Forbidden(msg("only the root user can promote users"))
            if user.role >= Role.ADMIN:
                raise ServiceError(msg("this user is already an administrator"))
            user.role = Role.ADMIN
        else:
            if user.role == Role.COMMON:
                raise ServiceError(msg("this user is already a common user"))
            user.role = Role.COMMON
        s.add(user)
        if action in ("disable", "delete"):
            sessions.end_user_sessions(s, user_id)
        keys = s.exec(select(Token.key).where(col(Token.user_id) == user_id)).all()
    cache.invalidate_user(user_id)
    for key in keys:  # token snapshots may carry the owner's state
        cache.invalidate_token(key)
    return UserRoleStatus(role=user.role, status=user.status)
