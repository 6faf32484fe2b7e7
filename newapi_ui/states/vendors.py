"""/vendors (admins): the model vendors of new-api's `vendors` table (`backend.services.vendors`),
with how many models each has."""

from __future__ import annotations

from typing import Any

import reflex as rx

from backend.models import User
from backend.models.enums import Role
from backend.services import vendors
from backend.services.errors import ServiceError
from newapi_ui import backend_bridge
from newapi_ui.states.auth import AuthState
from newapi_ui.states.paging import PagedState


def vendor_fields(form: dict[str, Any]) -> dict[str, Any]:
    return {"name": str(form.get("name", "")).strip(), "description": str(form.get("description", "")).strip(),
            "icon": str(form.get("icon", "")).strip(),
            "status": 1 if form.get("status") in (True, "on", "true", "1") else 0}


class VendorsState(PagedState, AuthState):
    min_role = Role.ADMIN
    keyword: str = ""
    edit_open: bool = False
    edit_id: int = 0
    edit_seq: int = 0  # remounts the dialog's form, so its defaults are the row opened
    edit: dict[str, str] = {}
    form_error: str = ""
    busy: bool = False
    confirm_open: bool = False
    confirm_message: str = ""
    _pending_delete: int = 0

    def _fetch(self, user: User, p: int, page_size: int) -> tuple[list[dict[str, Any]], int]:
        found = vendors.search(self.keyword, p, page_size)
        return found["items"], found["total"]

    def _format(self, row: dict[str, Any]) -> dict[str, str]:
        enabled = int(row.get("status") or 0) == 1
        return {"id": str(row["id"]), "name": row["name"], "description": row.get("description") or "",
                "icon": row.get("icon") or "", "models": str(row.get("model_count", 0)),
                "status": self.tr("Enabled") if enabled else self.tr("Disabled"),
                "status_color": "green" if enabled else "gray"}

    @rx.event
    async def on_load(self):  # noqa: ANN201
        redirect = await self._guard(Role.ADMIN)
        if redirect is not None:
            return redirect
        return await self._load()

    @rx.event
    async def search(self, form: dict):  # noqa: ANN201
        self.keyword = str(form.get("keyword", "")).strip()
        self.page = 1
        return await self._load()

    @rx.event
    async def open_edit(self, vendor_id: str):  # noqa: ANN201
        user, away = await self._require(Role.ADMIN)
        if user is None:
            return away
        self.edit_id, self.form_error = int(vendor_id or 0), ""
        row = await backend_bridge.call(vendors.get, self.edit_id) if self.edit_id else {"status": 1}
        self.edit = {k: str(row.get(k) or "") for k in ("name", "description", "icon")}
        self.edit["status"] = "1" if int(row.get("status") or 0) == 1 else "0"
        self.edit_seq += 1
        self.edit_open = True
        return None

    @rx.event
    def set_edit_open(self, value: bool) -> None:
        self.edit_open, self.form_error = bool(value), ""

    @rx.event
    async def save(self, form: dict):  # noqa: ANN201
        user, away = await self._require(Role.ADMIN)
        if user is None:
            return away
        fields = vendor_fields(form)
        self.busy = True
        try:
            if self.edit_id:
                await backend_bridge.call(vendors.update, self.edit_id, fields)
            else:
                await backend_bridge.call(vendors.create, fields)
        except ServiceError as exc:
            self.form_error = self.tr_error(exc)
            return None
        finally:
            self.busy = False
        self.edit_open = False
        reload = await self._load()
        return [rx.toast.success(self.tr("Saved")), *([reload] if reload else [])]

    @rx.event
    def ask_delete(self, vendor_id: str, name: str) -> None:
        self._pending_delete = int(vendor_id)
        self.confirm_message = self.tr("Delete the vendor “{name}”?").format(name=name)
        self.confirm_open = True

    @rx.event
    def cancel_confirm(self) -> None:
        self.confirm_open, self._pending_delete = False, 0

    @rx.event
    async def confirm(self):  # noqa: ANN201
        vendor_id, self._pending_delete, self.confirm_open = self._pending_delete, 0, False
        user, away = await self._require(Role.ADMIN)
        if user is None:
            return away
        try:
            await backend_bridge.call(vendors.delete, vendor_id)
        except ServiceError as exc:
            return rx.toast.error(self.tr_error(exc))
        reload = await self._load()
        return [rx.toast.success(self.tr("Deleted")), *([reload] if reload else [])]
