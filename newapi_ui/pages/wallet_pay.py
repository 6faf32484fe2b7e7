"""The wallet's online top-up, order history and check-in cards (used by pages/wallet.py)."""

from __future__ import annotations

import reflex as rx

from newapi_ui.i18n import N_, _
from newapi_ui.states.wallet_pay import WalletPayState as S

WEEKDAYS = (N_("Mon"), N_("Tue"), N_("Wed"), N_("Thu"), N_("Fri"), N_("Sat"), N_("Sun"))


def online_topup() -> rx.Component:
    return rx.cond(
        S.online,
        rx.card(
            rx.vstack(
                rx.text(_("Online top-up"), weight="medium"),
                rx.flex(
                    rx.foreach(S.presets, lambda a: rx.button(
                        a, variant=rx.cond(S.amount == a, "solid", "outline"), on_click=S.set_amount(a),
                        id="preset-" + a)),
                    spacing="2", wrap="wrap",
                ),
                rx.flex(
                    rx.input(value=S.amount, on_change=S.set_amount, placeholder=_("Amount"), id="topup_amount",
                             type="number", min="1", size="3", width="10em"),
                    rx.select.root(
                        rx.select.trigger(id="topup_method"),
                        rx.select.content(rx.foreach(S.methods, lambda m: rx.select.item(m["name"], value=m["type"]))),
                        value=S.method, on_change=S.choose_method, size="3",
                    ),
                    rx.button(_("Pay"), on_click=S.pay, loading=S.paying, size="3", id="topup_pay"),
                    spacing="2", wrap="wrap", align="center",
                ),
                rx.cond(S.price != "", rx.text(_("Amount to pay"), ": ", rx.text.strong(S.price, id="topup_price"))),
                spacing="3", width="100%",
            ),
            width="100%",
        ),
    )


def orders() -> rx.Component:
    columns = (("time", _("Time")), ("trade_no", _("Order")), ("amount", _("Amount")), ("money", _("Paid")),
               ("method", _("Method")), ("status", _("Status")))
    return rx.cond(
        S.orders.length() > 0,
        rx.vstack(
            rx.heading(_("Orders"), as_="h2", size="4"),
            rx.table.root(
                rx.table.header(rx.table.row(*[rx.table.column_header_cell(h) for _k, h in columns])),
                rx.table.body(rx.foreach(S.orders, lambda o: rx.table.row(
                    *[rx.table.cell(o[k]) for k, _h in columns], data_state=o["state"]))),
                width="100%", id="orders-table",
            ),
            width="100%",
        ),
    )


def checkin_card() -> rx.Component:
    return rx.cond(
        S.checkin_enabled,
        rx.card(
            rx.vstack(
                rx.hstack(
                    rx.text(_("Daily check-in"), weight="medium"),
                    rx.text(S.checkin_month, color_scheme="gray"),
                    rx.spacer(),
                    rx.button(rx.cond(S.checked_today, _("Checked in today"), _("Check in")),
                              on_click=S.check_in, disabled=S.checked_today, id="checkin"),
                    width="100%", align="center",
                ),
                rx.grid(
                    *[rx.text(_(d), size="1", color_scheme="gray", align="center") for d in WEEKDAYS],
                    rx.foreach(S.checkin_cells, lambda c: rx.box(
                        rx.text(c["day"], size="2", align="center"),
                        background=rx.cond(c["done"] != "", rx.color("green", 5), "transparent"),
                        border_radius="6px", padding="4px", id="checkin-day-" + c["date"],
                    )),
                    columns="7", spacing="1", width="100%", id="checkin-calendar",
                ),
                rx.text(_("Total from check-ins"), ": ", S.checkin_total, size="2", color_scheme="gray"),
                spacing="3", width="100%",
            ),
            width="100%",
        ),
    )
