"""/admin/orders (admins): every top-up order (Epay, Stripe, Creem, paid subscriptions), paged and
searchable by trade number or id, and the manual completion of a pending order, which goes through
the same exactly-once path as a provider's notify (`backend.services.topups.admin_complete`)."""

from __future__ import annotations

from typing import Any

import reflex as rx

from backend.models import User
from backend.models.enums import Role
from backend.services import topups
from backend.services.errors import ServiceError
from newapi_ui import backend_bridge
from newapi_ui.i18n import N_
from newapi_ui.states.admin_gate import RoleGate
from newapi_ui.states.auth import AuthState
from newapi_ui.states.paging import PagedState

STATUS_LABELS = {
    topups.PENDING: (N_("Pending"), "amber"),
    topups.SUCCESS: (N_("Paid"), "green"),
    topups.EXPIRED: (N_("Expired"), "gray"),
    topups.FAILED: (N_("Failed"), "red"),
}


class AdminOrdersState(RoleGate, PagedState, AuthState):
    min_role = Role.ADMIN
    keyword: str = ""
    confirm_open: bool = False
    confirm_message: str = ""
    _pending_trade: str = ""

    def _fetch(self, user: User, p: int, page_size: int) -> tuple[list[dict[str, Any]], int]:
        return topups.list_all(self.keyword, p, page_size)

    def _format(self, row: dict[str, Any]) -> dict[str, str]:
        label, colour = STATUS_LABELS.get(row["status"], (row["status"], "gray"))
        return {
            "id": str(row["id"]),
            "trade_no": row["trade_no"],
            "user_id": str(row["user_id"]),
            "amount": str(row["amount"]),
            "money": f"{float(row['money']):.2f}",
            "method": row["payment_method"] or row["payment_provider"],
            "status": self.tr(label),
            "status_color": colour,
            "state": row["status"],
            "created": self.fmt_datetime(int(row["create_time"] or 0)),
            "completed": self.fmt_datetime(int(row["complete_time"] or 0)) if row["complete_time"] else "",
        }

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
    def ask_complete(self, trade_no: str) -> None:
        self._pending_trade = trade_no
        self.confirm_message = self.tr("Mark order {trade_no} as paid and credit its user?").format(trade_no=trade_no)
        self.confirm_open = True

    @rx.event
    def cancel_confirm(self) -> None:
        self.confirm_open, self._pending_trade = False, ""

    @rx.event
    async def confirm(self):  # noqa: ANN201
        trade_no, self._pending_trade, self.confirm_open = self._pending_trade, "", False
        user, away = await self._require(Role.ADMIN)
        if user is None:
            return away
        if not trade_no:
            return None
        try:
            done = await backend_bridge.call(topups.admin_complete, trade_no)
        except ServiceError as exc:
            return rx.toast.error(self.tr_error(exc))
        reload = await self._load()
        text = self.tr("The order was already paid") if done.already_done else self.tr("Order completed")
        return [rx.toast.success(text), *([reload] if reload else [])]
