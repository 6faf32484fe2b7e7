"""/models (admins): model metadata through `backend.services.model_meta` (list, search, edit,
status, delete), the models some channel serves without metadata (`missing`), and the sync from
new-api's public catalogue (`model_sync`: a preview first, then the creation of what is missing)."""

from __future__ import annotations

from typing import Any

import reflex as rx

from backend.models import User
from backend.models.enums import Role
from backend.services import model_meta, model_sync, vendors
from backend.services.errors import ServiceError
from newapi_ui import backend_bridge
from newapi_ui.i18n import N_
from newapi_ui.states.auth import AuthState
from newapi_ui.states.paging import PagedState

RULES = {0: N_("Exact"), 1: N_("Prefix"), 2: N_("Contains"), 3: N_("Suffix")}
NO_VENDOR = "0"


def model_fields(form: dict[str, Any]) -> dict[str, Any]:
    """The editable fields of the dialog's form, typed as the service takes them."""
    rule = str(form.get("name_rule", "0")).strip()
    vendor = str(form.get("vendor_id", NO_VENDOR)).strip()
    return {
        "model_name": str(form.get("model_name", "")).strip(),
        "description": str(form.get("description", "")).strip(),
        "tags": ",".join(t.strip() for t in str(form.get("tags", "")).split(",") if t.strip()),
        "icon": str(form.get("icon", "")).strip(),
        "vendor_id": int(vendor) if vendor.isdigit() else 0,
        "name_rule": int(rule) if rule.isdigit() else 0,
        "status": 1 if form.get("status") in (True, "on", "true", "1") else 0,
        "endpoints": str(form.get("endpoints", "")).strip(),
        "sync_official": 1 if form.get("sync_official") in (True, "on", "true", "1") else 0,
    }


def catalogue_locale(lang: str) -> str:
    """The catalogue's language for the console's: it has en, zh and ja; others read the default."""
    short = lang.split("_", 1)[0].lower()
    return short if short in model_sync.LOCALES else ""


def _all_vendors() -> list[dict[str, Any]]:
    return vendors.search("", 1, 1000)["items"]


class ModelsState(PagedState, AuthState):
    min_role = Role.ADMIN
    keyword: str = ""
    vendor_filter: str = ""
    vendor_options: list[dict[str, str]] = []
    edit_open: bool = False
    edit_seq: int = 0  # remounts the dialog's form, so its defaults are the row opened
    edit_id: int = 0
    edit: dict[str, str] = {}
    form_error: str = ""
    busy: bool = False
    missing_open: bool = False
    missing: list[str] = []
    sync_open: bool = False
    sync_missing: list[str] = []
    sync_conflicts: list[str] = []
    sync_result: str = ""
    confirm_open: bool = False
    confirm_message: str = ""
    _pending_delete: int = 0

    def _fetch(self, user: User, p: int, page_size: int) -> tuple[list[dict[str, Any]], int]:
        found = model_meta.search(self.keyword, self.vendor_filter, "", "", p, page_size)
        return found["items"], found["total"]

    def _vendor_name(self, vendor_id: int) -> str:
        return next((v["name"] for v in self.vendor_options if v["id"] == str(vendor_id)), "")

    def _format(self, row: dict[str, Any]) -> dict[str, str]:
        enabled = int(row.get("status") or 0) == 1
        return {
            "id": str(row["id"]),
            "model_name": row["model_name"],
            "rule": self.tr(RULES.get(int(row.get("name_rule") or 0), RULES[0])),
            "vendor": self._vendor_name(int(row.get("vendor_id") or 0)),
            "description": row.get("description") or "",
            "tags": row.get("tags") or "",
            "channels": ", ".join(c["name"] for c in row.get("bound_channels", [])),
            "groups": ", ".join(row.get("enable_groups", [])),
            "status": self.tr("Enabled") if enabled else self.tr("Disabled"),
            "status_color": "green" if enabled else "gray",
            "state": "1" if enabled else "0",
        }

    async def _refresh_vendors(self) -> None:
        rows = await backend_bridge.call(_all_vendors)
        self.vendor_options = [{"id": str(v["id"]), "name": v["name"]} for v in rows]

    @rx.event
    async def on_load(self):  # noqa: ANN201
        redirect = await self._guard(Role.ADMIN)
        if redirect is not None:
            return redirect
        await self._refresh_vendors()
        return await self._load()

    @rx.event
    async def search(self, form: dict):  # noqa: ANN201
        self.keyword = str(form.get("keyword", "")).strip()
        self.vendor_filter = str(form.get("vendor", "")).strip()
        self.page = 1
        return await self._load()

    async def _act(self, fn, *args: Any, done: str = N_("Saved")) -> Any:  # noqa: ANN001
        user, away = await self._require(Role.ADMIN)
        if user is None:
            return away
        try:
            await backend_bridge.call(fn, *args)
        except ServiceError as exc:
            return rx.toast.error(self.tr_error(exc))
        reload = await self._load()
        return [rx.toast.success(self.tr(done)), *([reload] if reload else [])]

    @rx.event
    async def open_edit(self, model_id: str):  # noqa: ANN201
        user, away = await self._require(Role.ADMIN)
        if user is None:
            return away
        await self._refresh_vendors()
        self.edit_id, self.form_error = int(model_id or 0), ""
        row = await backend_bridge.call(model_meta.get, self.edit_id) if self.edit_id else {"status": 1}
        self.edit = {k: str(row.get(k) or "") for k in ("model_name", "description", "tags", "icon", "endpoints")}
        self.edit.update(vendor_id=str(row.get("vendor_id") or NO_VENDOR), name_rule=str(row.get("name_rule") or 0),
                         status="1" if int(row.get("status") or 0) == 1 else "0",
                         sync_official="1" if int(row.get("sync_official") or 0) == 1 else "0")
        self.edit_seq += 1
        self.edit_open = True
        return None

    @rx.event
    async def open_new_named(self, name: str):  # noqa: ANN201
        """From the missing list: a new row with the name filled in."""
        self.missing_open = False
        result = await self.open_edit("0")
        self.edit["model_name"] = name
        return result

    @rx.event
    def set_edit_open(self, value: bool) -> None:
        self.edit_open, self.form_error = bool(value), ""

    @rx.event
    async def save(self, form: dict):  # noqa: ANN201
        user, away = await self._require(Role.ADMIN)
        if user is None:
            return away
        fields = model_fields(form)
        self.busy = True
        try:
            if self.edit_id:
                await backend_bridge.call(model_meta.update, self.edit_id, fields)
            else:
                await backend_bridge.call(model_meta.create, fields)
        except ServiceError as exc:
            self.form_error = self.tr_error(exc)
            return None
        finally:
            self.busy = False
        self.edit_open = False
        reload = await self._load()
        return [rx.toast.success(self.tr("Saved")), *([reload] if reload else [])]

    @rx.event
    async def set_status(self, model_id: str, enable: bool):  # noqa: ANN201
        user, away = await self._require(Role.ADMIN)
        if user is None:
            return away
        try:
            await backend_bridge.call(model_meta.update, int(model_id), {"status": 1 if enable else 0},
                                      status_only=True)
        except ServiceError as exc:
            return rx.toast.error(self.tr_error(exc))
        return await self._load()

    @rx.event
    def ask_delete(self, model_id: str, name: str) -> None:
        self._pending_delete = int(model_id)
        self.confirm_message = self.tr("Delete the model “{name}”?").format(name=name)
        self.confirm_open = True

    @rx.event
    def cancel_confirm(self) -> None:
        self.confirm_open, self._pending_delete = False, 0

    @rx.event
    async def confirm(self):  # noqa: ANN201
        model_id, self._pending_delete, self.confirm_open = self._pending_delete, 0, False
        if model_id:
            return await self._act(model_meta.delete, model_id, done=N_("Deleted"))
        return None

    @rx.event
    async def show_missing(self):  # noqa: ANN201
        user, away = await self._require(Role.ADMIN)
        if user is None:
            return away
        self.missing = await backend_bridge.call(model_meta.missing)
        self.missing_open = True
        return None

    @rx.event
    def set_missing_open(self, value: bool) -> None:
        self.missing_open = bool(value)

    @rx.event
    def set_sync_open(self, value: bool) -> None:
        self.sync_open = bool(value)

    @rx.event
    async def preview_sync(self):  # noqa: ANN201
        user, away = await self._require(Role.ADMIN)
        if user is None:
            return away
        self.busy, self.sync_result = True, ""
        try:
            found = await model_sync.preview(catalogue_locale(self.lang))
        except ServiceError as exc:
            return rx.toast.error(self.tr_error(exc))
        finally:
            self.busy = False
        self.sync_missing = list(found["missing"])
        self.sync_conflicts = [c["model_name"] for c in found["conflicts"]]
        self.sync_open = True
        return None

    @rx.event
    async def apply_sync(self):  # noqa: ANN201
        user, away = await self._require(Role.ADMIN)
        if user is None:
            return away
        self.busy = True
        try:
            done = await model_sync.sync(catalogue_locale(self.lang), [])
        except ServiceError as exc:
            return rx.toast.error(self.tr_error(exc))
        finally:
            self.busy = False
        self.sync_open = False
        await self._refresh_vendors()
        reload = await self._load()
        text = self.tr("{models} models and {vendors} vendors created").format(
            models=done["created_models"], vendors=done["created_vendors"])
        return [rx.toast.success(text), *([reload] if reload else [])]
