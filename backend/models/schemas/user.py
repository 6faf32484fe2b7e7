"""Accounts on the wire. No model here carries the password hash, the personal access token or
the notification secrets (`webhook_secret`, `gotify_token`); the rules each field must meet
are in `backend/models/validation.py`, applied by the services in their order."""

from __future__ import annotations

from pydantic import BaseModel

from backend.models.enums import Role
from backend.models.schemas.base import ApiModel, Int64


class UserCreate(ApiModel):
    """`POST /api/user/` (admins): an account of a lower role than the creator's."""

    username: str
    password: str
    display_name: str = ""
    role: Int64 = Role.COMMON


class UserUpdate(ApiModel):
    """`PUT /api/user/` (admins): None leaves the field as it is; a password ends the user's sessions."""

    id: Int64
    username: str | None = None
    display_name: str | None = None
    password: str | None = None
    group: str | None = None
    quota: Int64 | None = None
    email: str | None = None
    remark: str | None = None


class UserSelfUpdate(ApiModel):
    """`PUT /api/user/self`: a new password needs the original one."""

    username: str | None = None
    display_name: str | None = None
    password: str | None = None
    original_password: str | None = None


class UserManage(ApiModel):
    """`POST /api/user/manage`: one of disable, enable, delete, promote, demote."""

    id: Int64
    action: str


class UserPublic(BaseModel):
    """A user as the API shows them, to themselves or to an admin."""

    id: int | None
    username: str | None
    display_name: str | None
    role: int | None
    status: int | None
    email: str | None
    github_id: str | None
    oidc_id: str | None
    wechat_id: str | None
    telegram_id: str | None
    linux_do_id: str | None
    discord_id: str | None
    quota: int | None
    used_quota: int | None
    request_count: int | None
    group: str | None
    aff_code: str
    aff_count: int | None
    aff_quota: int | None
    aff_history_quota: int | None
    inviter_id: int | None
    setting: str  # the notification settings as JSON text, secrets removed


class UserAdminPublic(UserPublic):
    """What admins see besides: the remark and, for a soft-deleted user, when (ISO 8601)."""

    remark: str
    deleted_at: str | None


class UserRoleStatus(BaseModel):
    """`POST /api/user/manage`'s answer: the user's role and status after the action."""

    role: int
    status: int
