"""/admin/orders (admins): all top-up orders, search, and manual completion of a pending one."""

import reflex as rx

from newapi_ui.components.admin_table import action_table, icon_action
from newapi_ui.components.confirm import confirm_dialog
from newapi_ui.components.stats import labelled
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


def _toolbar() -> rx.Component:
    return rx.form(
        rx.flex(
            labelled(N_("Search"), rx.input(name="keyword", id="o-keyword", placeholder=_("Trade number or ID"))),
            rx.button(rx.icon("search", size=16), _("Search"), type="submit", id="o-search"),
            wrap="wrap",
            spacing="3",
            align="end",
            width="100%",
        ),
        on_submit=S.search,
        reset_on_submit=False,
        width="100%",
    )


def _actions(row: rx.Var) -> rx.Component:
    return icon_action("circle-check", N_("Complete"), S.ask_complete(row["trade_no"]), "o-complete-" + row["id"].to(str),
                       color="green", disabled=row["state"] != "pending")


@template("/admin/orders", "Orders", on_load=S.on_load)
def admin_orders_page() -> rx.Component:
    return rx.vstack(
        rx.heading(_("Orders"), size="6"),
        _toolbar(),
        action_table(S, COLUMNS, "orders-table", _actions),
        confirm_dialog(S.confirm_open, S.confirm_message, S.confirm, S.cancel_confirm, "o-confirm"),
        spacing="4",
        width="100%",
    )
