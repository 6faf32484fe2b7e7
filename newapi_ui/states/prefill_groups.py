"""/prefill_groups (admins): new-api's prefill groups (`backend.services.prefill_groups`), named
lists of models, tags or endpoints that forms can be pre-filled from."""

from __future__ import annotations

from typing import Any

import reflex as rx

from backend.models import User
from backend.models.enums import Role
from backend.services import prefill_groups
from backend.services.errors import ServiceError
from newapi_ui import backend_bridge
from newapi_ui.i18n import N_
from newapi_ui.states.admin_gate import RoleGate
from newapi_ui.states.auth import AuthState
from newapi_ui.states.paging import PagedState

TYPE_LABELS = {"model": N_("Models"), "tag": N_("Tags"), "endpoint": N_("Endpoints")}
ALL = "all"
MESSAGES = (N_("组名称和类型不能为空"), N_("组名称已存在"), N_("组不存在"))


def split_items(text: str) -> list[str]:
    """Items typed one per line or comma-separated; blanks and repeats dropped, order kept."""
    out: list[str] = []
    for part in text.replace(",", "\n").splitlines():
        item = part.strip()
        if item and item not in out:
            out.append(item)
    return out


class PrefillGroupsState(RoleGate, PagedState, AuthState):
    min_role = Role.ADMIN
    type_filter: str = ALL
    edit_open: bool = False
    edit_id: int = 0
    edit_seq: int = 0  # remounts the dialog's form, so its defaults are the row opened
    edit: dict[str, str] = {}
    edit_type: str = "model"
    form_error: str = ""
    busy: bool = False
    confirm_open: bool = False
    confirm_message: str = ""
    _pending_delete: int = 0

    def _fetch(self, user: User, p: int, page_size: int) -> tuple[list[dict[str, Any]], int]:
        rows = prefill_groups.list_groups("" if self.type_filter == ALL else self.type_filter)
        return rows[(p - 1) * page_size:p * page_size], len(rows)

    def _format(self, row: dict[str, Any]) -> dict[str, str]:
        items = row.get("items") or []
        shown = ", ".join(items[:5]) + (f" +{len(items) - 5}" if len(items) > 5 else "")
        return {"id": str(row["id"]), "name": row["name"], "type": self.tr(TYPE_LABELS.get(row["type"], row["type"])),
                "items": shown, "count": str(len(items)), "description": row.get("description") or "",
                "updated": self.fmt_datetime(int(row.get("updated_time") or 0))}

    @rx.event
    async def on_load(self):  # noqa: ANN201
        redirect = await self._guard(Role.ADMIN)
        if redirect is not None:
            return redirect
        return await self._load()

    @rx.event
    async def set_type_filter(self, value: str):  # noqa: ANN201
        self.type_filter, self.page = value, 1
        return await self._load()

    @rx.event
    async def open_edit(self, group_id: str):  # noqa: ANN201
        user, away = await self._require(Role.ADMIN)
        if user is None:
            return away
        self.edit_id, self.form_error = int(group_id or 0), ""
        found = {}
        if self.edit_id:
            rows = await backend_bridge.call(prefill_groups.list_groups, "")
            found = next((r for r in rows if r["id"] == self.edit_id), {})
        self.edit = {"name": found.get("name", ""), "items": "\n".join(found.get("items", [])),
                     "description": found.get("description", "")}
        self.edit_type = found.get("type", "model")
        self.edit_seq += 1
        self.edit_open = True
        return None

    @rx.event
    def set_edit_open(self, value: bool) -> None:
        self.edit_open, self.form_error = bool(value), ""

    @rx.event
    def set_edit_type(self, value: str) -> None:
        if value in prefill_groups.TYPES:
            self.edit_type = value

    @rx.event
    async def save(self, form: dict):  # noqa: ANN201
        user, away = await self._require(Role.ADMIN)
        if user is None:
            return away
        fields = {"name": str(form.get("name", "")), "type": self.edit_type,
                  "items": split_items(str(form.get("items", ""))), "description": str(form.get("description", ""))}
        self.busy = True
        try:
            if self.edit_id:
                await backend_bridge.call(prefill_groups.update, self.edit_id, fields)
            else:
                await backend_bridge.call(prefill_groups.create, fields)
        except ServiceError as exc:
            self.form_error = self.tr(exc.message)
            return None
        finally:
            self.busy = False
        self.edit_open = False
        reload = await self._load()
        return [rx.toast.success(self.tr("Saved")), *([reload] if reload else [])]

    @rx.event
    def ask_delete(self, group_id: str, name: str) -> None:
        self._pending_delete = int(group_id)
        self.confirm_message = self.tr("Delete the group “{name}”?").format(name=name)
        self.confirm_open = True

    @rx.event
    def cancel_confirm(self) -> None:
        self.confirm_open, self._pending_delete = False, 0

    @rx.event
    async def confirm(self):  # noqa: ANN201
        group_id, self._pending_delete, self.confirm_open = self._pending_delete, 0, False
        user, away = await self._require(Role.ADMIN)
        if user is None:
            return away
        try:
            await backend_bridge.call(prefill_groups.delete, group_id)
        except ServiceError as exc:
            return rx.toast.error(self.tr(exc.message))
        reload = await self._load()
        return [rx.toast.success(self.tr("Deleted")), *([reload] if reload else [])]
