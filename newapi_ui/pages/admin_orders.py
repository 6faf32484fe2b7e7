"""/admin/orders (admins): all top-up orders, search, and manual completion of a pending one."""

import reflex as rx

from newapi_ui.components.crud import crud_page, search_bar
from newapi_ui.components.forms import labelled
from newapi_ui.components.table import data_table, icon_action
from newapi_ui.i18n import N_, _
from newapi_ui.states.admin_orders import AdminOrdersState as S
from newapi_ui.template import template

COLUMNS = [
    ("id", N_("ID")),
    ("trade_no", N_("Trade number")),
    ("user_id", N_("User ID")),
    ("amount", N_("Amount")),
    ("money", N_("Paid")),
    ("method", N_("Payment method")),
    ("status", N_("Status")),
    ("created", N_("Created")),
    ("completed", N_("Completed")),
]


def _actions(row: rx.Var) -> rx.Component:
    return icon_action("circle-check", N_("Complete"), S.ask_complete(row.trade_no), "o-complete-" + row.id,
                       color="green", disabled=row.state != "pending")


@template("/admin/orders", "Orders", on_load=S.open_page)
def admin_orders_page() -> rx.Component:
    return crud_page(
        N_("Orders"), S, "o",
        search_bar(S, "o", labelled(N_("Search"), rx.input(name="keyword", id="o-keyword",
                                                          placeholder=_("Trade number or ID")))),
        data_table(S, COLUMNS, "orders-table", actions=_actions),
    )
