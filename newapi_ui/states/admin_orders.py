"""/admin/orders (admins): every top-up order (Epay, Stripe, Creem, paid subscriptions), paged and
searchable by trade number or id, and the manual completion of a pending order, which goes through
the same exactly-once path as a provider's notify (`backend.services.topups.admin_complete`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import reflex as rx

from backend.models import User
from backend.models.enums import Role
from backend.services import topups
from newapi_ui.i18n import N_
from newapi_ui.states.auth import AuthState
from newapi_ui.states.crud import CrudState
from newapi_ui.states.paging import PagedState, typed_rows

STATUS_LABELS = {
    topups.PENDING: (N_("Pending"), "amber"),
    topups.SUCCESS: (N_("Paid"), "green"),
    topups.EXPIRED: (N_("Expired"), "gray"),
    topups.FAILED: (N_("Failed"), "red"),
}


@dataclass
class OrderRow:
    id: str
    trade_no: str
    user_id: str
    amount: str
    money: str
    method: str
    status: str
    status_color: str
    state: str
    created: str
    completed: str


class AdminOrdersState(CrudState, PagedState, AuthState):
    min_role = Role.ADMIN
    search_fields = {"keyword": "keyword"}
    keyword: str = ""
    rows = typed_rows(OrderRow)

    def _fetch(self, user: User, p: int, page_size: int) -> tuple[list[dict[str, Any]], int]:
        return topups.list_all(self.keyword, p, page_size)

    def _format(self, row: dict[str, Any]) -> OrderRow:
        label, colour = STATUS_LABELS.get(row["status"], (row["status"], "gray"))
        return OrderRow(
            id=str(row["id"]),
            trade_no=row["trade_no"],
            user_id=str(row["user_id"]),
            amount=str(row["amount"]),
            money=f"{float(row['money']):.2f}",
            method=row["payment_method"] or row["payment_provider"],
            status=self.tr(label),
            status_color=colour,
            state=row["status"],
            created=self.fmt_datetime(int(row["create_time"] or 0)),
            completed=self.fmt_datetime(int(row["complete_time"] or 0)) if row["complete_time"] else "",
        )

    @rx.event
    def ask_complete(self, trade_no: str) -> None:
        self._ask("complete", self.tr("Mark order {trade_no} as paid and credit its user?").format(trade_no=trade_no),
                  trade_no)

    async def _confirmed(self, action: str, *args: Any) -> Any:
        return await self._act(topups.admin_complete, *args, done=lambda done: (
            self.tr("The order was already paid") if done.already_done else self.tr("Order completed")))
