"""The "Price table" tab of /admin/settings: prices per model and group ratios as tables, unpriced
models first and marked (state: `states/ratio_table.py`)."""

from __future__ import annotations

import reflex as rx

from newapi_ui import styles
from newapi_ui.components.table import icon_action
from newapi_ui.i18n import N_, _
from newapi_ui.states.ratio_table import RatioTableState as S


def _cell(row: rx.Var, field: str) -> rx.Component:
    return rx.table.cell(rx.input(
        value=row[field], on_change=lambda v: S.set_cell(row["model"], field, v), size="1", width="7em",
        id=f"rt-{field}-" + row["model"].to(str), aria_label=field,
    ))


def _model_row(row: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.hstack(
            rx.code(row["model"]),
            rx.cond(row["unpriced"] == "1", rx.badge(_("Unpriced"), color_scheme="red",
                                                     id="rt-unpriced-" + row["model"].to(str))),
            rx.cond(row["used"] == "1", rx.tooltip(rx.icon("network", size=14), content=_("Served by a channel"))),
            spacing="2", align="center",
        )),
        _cell(row, "ratio"),
        _cell(row, "completion"),
        _cell(row, "price"),
        rx.table.cell(rx.text(row["builtin"], size="1", color_scheme="gray")),
        id="rt-row-" + row["model"].to(str),
        background_color=rx.cond(row["unpriced"] == "1", rx.color("red", 3), "transparent"),
    )


def _models() -> rx.Component:
    headers = (N_("Model"), N_("Model ratio"), N_("Completion ratio"), N_("Price per call (US$)"), N_("Built in"))
    return rx.box(
        rx.table.root(
            rx.table.header(rx.table.row(*[rx.table.column_header_cell(_(h)) for h in headers])),
            rx.table.body(rx.foreach(S.shown, _model_row)),
            variant="surface", size="1", width="100%", id="rt-models",
        ),
        style=styles.table,
    )


def _group_row(g: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.code(g["group"])),
        rx.table.cell(rx.input(value=g["ratio"], on_change=lambda v: S.set_group_ratio(g["group"], v), size="1",
                               width="7em", id="rt-group-" + g["group"].to(str))),
        rx.table.cell(icon_action("trash-2", N_("Delete"), S.remove_group(g["group"]),
                                  "rt-group-remove-" + g["group"].to(str), color="red")),
    )


def _groups() -> rx.Component:
    return rx.vstack(
        rx.heading(_("Group ratios"), as_="h2", size="3"),
        rx.table.root(
            rx.table.header(rx.table.row(*[rx.table.column_header_cell(_(h)) for h in (
                N_("Group"), N_("Ratio"), N_("Actions"))])),
            rx.table.body(rx.foreach(S.groups, _group_row)),
            variant="surface", size="1", id="rt-groups",
        ),
        rx.hstack(
            rx.input(value=S.new_group, on_change=S.set_new_group, placeholder=_("Group name"), size="1",
                     id="rt-new-group"),
            rx.button(rx.icon("plus", size=14), _("Add group"), on_click=S.add_group, size="1", variant="soft",
                      id="rt-add-group"),
        ),
        spacing="2",
    )


def ratio_table() -> rx.Component:
    return rx.vstack(
        rx.text(_("Empty cells use the built-in price. A price per call beats the ratios."), size="2",
                color_scheme="gray"),
        rx.cond(S.unpriced_count > 0, rx.callout(
            rx.text(S.unpriced_count, " ", _("models served by channels have no price"), id="rt-unpriced-count"),
            icon="triangle-alert", color_scheme="red", width="100%")),
        rx.flex(
            rx.input(value=S.search, on_change=S.set_search, placeholder=_("Search models"), id="rt-search"),
            rx.hstack(rx.switch(checked=S.only_unpriced, on_change=S.set_only_unpriced, id="rt-only-unpriced"),
                      rx.text(_("Only unpriced"), as_="label", custom_attrs={"htmlFor": "rt-only-unpriced"}, size="2"),
                      align="center"),
            rx.spacer(),
            rx.input(value=S.new_model, on_change=S.set_new_model, placeholder=_("Model name"), id="rt-new-model"),
            rx.button(rx.icon("plus", size=14), _("Add model"), on_click=S.add_model, variant="soft",
                      id="rt-add-model"),
            wrap="wrap", spacing="3", align="center", width="100%",
        ),
        _models(),
        _groups(),
        rx.cond(S.error != "", rx.callout(S.error, icon="triangle-alert", color_scheme="red", id="rt-error",
                                          width="100%")),
        rx.button(rx.icon("save", size=16), _("Save"), on_click=S.save, loading=S.busy, id="save-price-table"),
        spacing="4", width="100%", on_mount=S.load,
    )
