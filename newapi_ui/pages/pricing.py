"""/pricing (public): what each routable model costs in the chosen group."""

import reflex as rx

from newapi_ui import styles
from newapi_ui.components.forms import labelled
from newapi_ui.i18n import N_, _
from newapi_ui.states.pricing import PricingState
from newapi_ui.template import template

COLUMNS = [
    ("model", N_("Model")),
    ("kind", N_("Billing")),
    ("input", N_("Input per 1M tokens")),
    ("output", N_("Output per 1M tokens")),
    ("call", N_("Per call")),
    ("ratio", N_("Model ratio")),
    ("completion", N_("Completion ratio")),
    ("groups", N_("Groups")),
]


@template("/pricing", "Pricing", access="public", on_load=PricingState.on_load)
def pricing_page() -> rx.Component:
    return rx.vstack(
        rx.heading(_("Pricing"), size="6"),
        rx.text(_("Prices in US dollars, with the group's ratio applied."), size="2", color_scheme="gray"),
        rx.flex(
            labelled(N_("Group"), rx.select.root(
                rx.select.trigger(id="price-group"),
                rx.select.content(rx.foreach(PricingState.groups,
                                             lambda g: rx.select.item(g, value=g, id="price-group-" + g))),
                value=PricingState.price_group,
                on_change=PricingState.set_price_group,
            )),
            labelled(N_("Search"), rx.input(value=PricingState.search, on_change=PricingState.set_search,
                                            placeholder=_("Model name"), id="price-search")),
            spacing="3",
            wrap="wrap",
            align="end",
        ),
        rx.box(
            rx.table.root(
                rx.table.header(rx.table.row(*[rx.table.column_header_cell(_(h)) for _k, h in COLUMNS])),
                rx.table.body(rx.foreach(
                    PricingState.rows,
                    lambda row: rx.table.row(*[rx.table.cell(row[k], white_space="nowrap") for k, _h in COLUMNS]),
                )),
                variant="surface", size="2", width="100%", id="pricing-table",
            ),
            style=styles.table,
        ),
        rx.cond(PricingState.rows.length() == 0,
                rx.text(_("No models are available in this group"), color_scheme="gray", size="2", id="price-empty")),
        spacing="4",
        width="100%",
    )
