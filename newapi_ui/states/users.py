"""/user (admins): every account through `backend.services.user_admin`, which enforces the role
rules; its refusals are shown as they come. Every handler re-checks the session user's role."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

import reflex as rx

from backend.models import User
from backend.models.enums import Role, UserStatus
from backend.models.schemas.user import UserCreate, UserUpdate
from backend.services import groups, user_admin
from backend.services.errors import ServiceError
from newapi_ui import backend_bridge
from newapi_ui.i18n import N_
from newapi_ui.states.auth import AuthState
from newapi_ui.states.crud import CrudState
from newapi_ui.states.paging import PagedState, typed_rows

ROLE_LABELS = {Role.COMMON: N_("User"), Role.ADMIN: N_("Admin"), Role.ROOT: N_("Root")}
STATUS_LABELS = {UserStatus.ENABLED: (N_("Enabled"), "green"), UserStatus.DISABLED: (N_("Disabled"), "gray")}
DELETED = N_("Deleted")
UNKNOWN = N_("Unknown")


def quota_from(amount: str, unit: str, per_unit: int) -> int:
    """Quota units from what the admin typed: money (× QuotaPerUnit) or raw tokens; ValueError if bad."""
    try:
        value = Decimal(amount.strip().replace(",", ""))
    except InvalidOperation as exc:
        raise ValueError(amount) from exc
    if not value.is_finite():
        raise ValueError(amount)
    return int((value * per_unit).to_integral_value()) if unit == "money" else int(value.to_integral_value())


def money_text(quota: int, per_unit: int) -> str:
    """Quota as a plain decimal amount for an input box (no exponent, no trailing zeros)."""
    value = (Decimal(quota) / Decimal(per_unit)).quantize(Decimal("0.000001")).normalize()
    return f"{value:f}"


@dataclass
class UserRow:
    id: str
    username: str
    display_name: str
    role: str
    is_root: bool
    status: str
    status_color: str
    enabled: bool
    group: str
    quota: str
    used: str
    requests: str


class UsersState(CrudState, PagedState, AuthState):
    min_role = Role.ADMIN
    search_fields = {"keyword": "keyword", "group": "filter_group"}
    keyword: str = ""
    filter_group: str = ""
    all_groups: list[str] = []
    rows = typed_rows(UserRow)
    # create / edit dialogs
    create_open: bool = False
    edit_open: bool = False
    edit_id: int = 0
    edit_username: str = ""
    edit_display_name: str = ""
    edit_group: str = ""
    edit_quota: str = ""
    quota_unit: str = "money"
    form_error: str = ""
    busy: bool = False

    def _fetch(self, user: User, p: int, page_size: int) -> tuple[list[dict[str, Any]], int]:
        if self.keyword or self.filter_group:
            rows, total = user_admin.search_users(self.keyword, self.filter_group, p, page_size)
        else:
            rows, total = user_admin.list_users(p, page_size)
        return [r.model_dump() for r in rows], total

    def _format(self, row: dict[str, Any]) -> UserRow:
        label, colour = STATUS_LABELS.get(row["status"], (UNKNOWN, "gray"))
        if row.get("deleted_at"):
            label, colour = DELETED, "red"
        return UserRow(
            id=str(row["id"]),
            username=row["username"],
            display_name=row.get("display_name") or "",
            role=self.tr(ROLE_LABELS.get(row["role"], UNKNOWN)),
            is_root=row["role"] >= Role.ROOT,
            status=self.tr(label),
            status_color=colour,
            enabled=row["status"] == UserStatus.ENABLED,
            group=row.get("group") or "",
            quota=self.fmt_quota(int(row.get("quota") or 0)),
            used=self.fmt_quota(int(row.get("used_quota") or 0)),
            requests=str(row.get("request_count") or 0),
        )

    async def _prepare(self, user: User) -> None:
        self.all_groups = await backend_bridge.call(groups.all_groups)

    @rx.event
    async def manage(self, user_id: str, action: str):  # noqa: ANN201
        if action not in ("enable", "disable", "promote", "demote"):
            return None
        return await self._act(user_admin.manage, int(user_id), action, actor=True)

    @rx.event
    def ask_delete(self, user_id: str, username: str) -> None:
        message = self.tr("Delete user “{name}” and their API keys for good?").format(name=username)
        self._ask("delete", message, int(user_id))

    async def _confirmed(self, action: str, *args: Any) -> Any:
        return await self._act(user_admin.hard_delete, *args, actor=True, done=N_("Deleted"))

    # ---- create -------------------------------------------------------------------------------

    @rx.event
    def set_create_open(self, value: bool) -> None:
        self.create_open, self.form_error = bool(value), ""

    @rx.event
    async def create(self, form: dict):  # noqa: ANN201
        actor, away = await self._require(Role.ADMIN)
        if actor is None:
            return away
        # A checked box submits its value ("admin"), or "on" / True depending on the control.
        role = Role.ADMIN if form.get("role") in ("admin", "on", True) else Role.COMMON
        self.busy = True
        try:
            await backend_bridge.call(user_admin.create, actor, UserCreate(
                username=str(form.get("username", "")), password=str(form.get("password", "")),
                display_name=str(form.get("display_name", "")), role=role))
        except ServiceError as exc:
            self.form_error = self.tr_error(exc)
            return None
        finally:
            self.busy = False
        self.create_open, self.form_error = False, ""
        reload = await self._load()
        return [rx.toast.success(self.tr("User created")), *([reload] if reload else [])]

    # ---- edit ---------------------------------------------------------------------------------

    @rx.event
    async def open_edit(self, user_id: str):  # noqa: ANN201
        actor, away = await self._require(Role.ADMIN)
        if actor is None:
            return away
        try:
            u = await backend_bridge.call(user_admin.get_user, actor, int(user_id))
        except ServiceError as exc:
            return rx.toast.error(self.tr_error(exc))
        self.all_groups = await backend_bridge.call(groups.all_groups)
        self.edit_id, self.edit_username = int(u.id or 0), u.username or ""
        self.edit_display_name, self.edit_group = u.display_name or "", u.group or ""
        self.quota_unit = "money" if self.display_in_currency else "tokens"
        quota = u.quota or 0
        self.edit_quota = money_text(quota, self.quota_per_unit) if self.quota_unit == "money" else str(quota)
        self.form_error, self.edit_open = "", True
        return None

    @rx.event
    def set_edit_open(self, value: bool) -> None:
        self.edit_open = bool(value)

    @rx.event
    def set_edit_group(self, value: str) -> None:
        self.edit_group = value

    @rx.event
    def set_quota_unit(self, unit: str | list[str]) -> None:
        """Switching the unit converts what is typed, so the amount keeps its meaning."""
        if unit not in ("money", "tokens") or unit == self.quota_unit:
            return
        try:
            quota = quota_from(self.edit_quota, self.quota_unit, self.quota_per_unit)
        except ValueError:
            quota = None
        self.quota_unit = unit
        if quota is not None:
            self.edit_quota = money_text(quota, self.quota_per_unit) if unit == "money" else str(quota)

    @rx.event
    def set_edit_quota(self, value: str) -> None:
        self.edit_quota = value

    @rx.event
    async def save_edit(self, form: dict):  # noqa: ANN201
        actor, away = await self._require(Role.ADMIN)
        if actor is None:
            return away
        try:
            quota = quota_from(self.edit_quota, self.quota_unit, self.quota_per_unit)
        except ValueError:
            self.form_error = self.tr("Enter the quota as a number")
            return None
        change = UserUpdate(id=self.edit_id, display_name=str(form.get("display_name", "")).strip(),
                            group=self.edit_group, quota=quota, password=str(form.get("password") or "") or None)
        self.busy = True
        try:
            await backend_bridge.call(user_admin.update, actor, change)
        except ServiceError as exc:
            self.form_error = self.tr_error(exc)
            return None
        finally:
            self.busy = False
        self.edit_open, self.form_error = False, ""
        reload = await self._load()
        return [rx.toast.success(self.tr("Saved")), *([reload] if reload else [])]
