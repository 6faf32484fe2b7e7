"""/redemption (admins): redemption codes through `backend.services.redemptions`. New keys are shown
once, right after they are minted (copy, CSV download), and never kept in the page's state after."""

from __future__ import annotations

import csv
import io
import time
from dataclasses import dataclass
from typing import Any

import reflex as rx

from backend.models import User
from backend.models.enums import RedemptionStatus, Role
from backend.models.schemas.redemption import RedemptionCreate, RedemptionUpdate
from backend.services import redemptions
from backend.services.errors import ServiceError
from newapi_ui import backend_bridge
from newapi_ui.i18n import N_
from newapi_ui.states.auth import AuthState
from newapi_ui.states.crud import CrudState
from newapi_ui.states.paging import PagedState, typed_rows
from newapi_ui.states.users import quota_from

STATUS_LABELS = {
    RedemptionStatus.ENABLED: (N_("Unused"), "green"),
    RedemptionStatus.DISABLED: (N_("Disabled"), "gray"),
    RedemptionStatus.USED: (N_("Used"), "blue"),
}
EXPIRED = N_("Expired")
UNKNOWN = N_("Unknown")


def keys_csv(name: str, quota_text: str, keys: list[str]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["name", "quota", "key"])
    writer.writerows([name, quota_text, k] for k in keys)
    return out.getvalue()


@dataclass
class CodeRow:
    id: str
    name: str
    key: str
    status: str
    status_color: str
    state: str
    quota: str
    created: str
    redeemed: str
    used_by: str
    expires: str


class RedemptionsState(CrudState, PagedState, AuthState):
    min_role = Role.ADMIN
    search_fields = {"keyword": "keyword"}
    keyword: str = ""
    rows = typed_rows(CodeRow)
    create_open: bool = False
    quota_unit: str = "money"
    form_error: str = ""
    busy: bool = False
    # The freshly minted keys, until the admin closes the dialog that shows them.
    new_keys: list[str] = []
    new_name: str = ""
    new_quota: str = ""
    keys_open: bool = False

    def _fetch(self, user: User, p: int, page_size: int) -> tuple[list[dict[str, Any]], int]:
        if self.keyword:
            rows, total = redemptions.search_codes(self.keyword, p, page_size)
        else:
            rows, total = redemptions.list_codes(p, page_size)
        return [r.model_dump() for r in rows], total

    def _format(self, row: dict[str, Any]) -> CodeRow:
        label, colour = STATUS_LABELS.get(row["status"], (UNKNOWN, "gray"))
        expires = int(row.get("expired_time") or 0)
        if row["status"] == RedemptionStatus.ENABLED and expires and expires < time.time():
            label, colour = EXPIRED, "amber"
        return CodeRow(
            id=str(row["id"]),
            name=row["name"],
            key=row["key"],
            status=self.tr(label),
            status_color=colour,
            state=str(row["status"]),
            quota=self.fmt_quota(int(row["quota"])),
            created=self.fmt_datetime(int(row["created_time"])),
            redeemed=self.fmt_datetime(int(row.get("redeemed_time") or 0)),
            used_by=str(row["used_user_id"]) if row.get("used_user_id") else "",
            expires=self.fmt_datetime(expires) if expires else self.tr("Never"),
        )

    @rx.event
    async def set_status(self, code_id: str, enable: bool):  # noqa: ANN201
        status = RedemptionStatus.ENABLED if enable else RedemptionStatus.DISABLED
        return await self._act(redemptions.update_code, int(code_id), RedemptionUpdate(status=status),
                               status_only=True)

    @rx.event
    def ask_delete(self, code_id: str, name: str) -> None:
        self._ask("delete", self.tr("Delete the code “{name}”?").format(name=name), int(code_id))

    @rx.event
    def ask_delete_invalid(self) -> None:
        self._ask("invalid", self.tr("Delete every used, disabled or expired code?"))

    async def _confirmed(self, action: str, *args: Any) -> Any:
        if action == "delete":
            return await self._act(redemptions.delete_code, *args, done=N_("Deleted"))
        return await self._act(redemptions.delete_invalid, done=N_("{count} codes deleted"))

    @rx.event
    def set_create_open(self, value: bool) -> None:
        self.create_open, self.form_error = bool(value), ""
        self.quota_unit = "money" if self.display_in_currency else "tokens"

    @rx.event
    def set_quota_unit(self, unit: str | list[str]) -> None:
        if unit in ("money", "tokens"):
            self.quota_unit = unit

    @rx.event
    async def create(self, form: dict):  # noqa: ANN201
        actor, away = await self._require(Role.ADMIN)
        if actor is None:
            return away
        name = str(form.get("name", "")).strip()
        try:
            quota = quota_from(str(form.get("quota", "")), self.quota_unit, self.quota_per_unit)
            count = int(str(form.get("count", "1")).strip() or "1")
            order = RedemptionCreate(name=name, quota=quota, count=count)  # ValueError: beyond 64 bits
        except ValueError:
            self.form_error = self.tr("Enter the quota and the count as numbers")
            return None
        self.busy = True
        try:
            keys = await backend_bridge.call(redemptions.create_codes, actor.id or 0, order)
        except ServiceError as exc:
            self.form_error = self.tr_error(exc)
            return None
        finally:
            self.busy = False
        self.create_open, self.form_error = False, ""
        self.new_keys, self.new_name, self.new_quota = keys, name, self.fmt_quota(quota)
        self.keys_open = True
        return await self._load()

    @rx.event
    def close_keys(self, value: bool = False) -> None:
        """Closing the dialog forgets the keys (they stay listed in the table for admins)."""
        if not value:
            self.keys_open, self.new_keys = False, []

    @rx.event
    def download_csv(self):  # noqa: ANN201
        return rx.download(data=keys_csv(self.new_name, self.new_quota, self.new_keys),
                           filename=f"redemption-{self.new_name or 'codes'}.csv")

    @rx.event
    def copy_all(self):  # noqa: ANN201
        return [rx.set_clipboard("\n".join(self.new_keys)), rx.toast.success(self.tr("Copied"))]

    @rx.event
    def copy_one(self, key: str):  # noqa: ANN201
        return [rx.set_clipboard(key), rx.toast.success(self.tr("Copied"))]
