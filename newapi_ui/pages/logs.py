"""/log: filters, the quota/RPM/TPM bar, a server-paged table and a dialog with one row's details."""

from typing import Any

import reflex as rx

from newapi_ui import styles
from newapi_ui.components.forms import labelled
from newapi_ui.components.table import pager
from newapi_ui.i18n import N_, _
from newapi_ui.states.logs import LogsState
from newapi_ui.template import template

# (row key, header msgid, admins only)
COLUMNS = [
    ("time", N_("Time"), False),
    ("channel", N_("Channel"), True),
    ("user", N_("User"), True),
    ("token", N_("Token"), False),
    ("type", N_("Type"), False),
    ("model", N_("Model"), False),
    ("use_time", N_("Duration"), False),
    ("prompt", N_("Prompt"), False),
    ("completion", N_("Completion"), False),
    ("quota", N_("Quota"), False),
]


def _text_filter(label: str, name: str, **props: Any) -> rx.Component:
    return labelled(label, rx.input(name=name, id=f"log-{name}", **props))


def _filters() -> rx.Component:
    return rx.form(
        rx.flex(
            labelled(N_("Type"), rx.select.root(
                rx.select.trigger(id="log-type"),
                rx.select.content(rx.foreach(LogsState.type_items,
                                             lambda it: rx.select.item(it[1], value=it[0], id="log-type-" + it[0]))),
                name="log_type", value=LogsState.log_type, on_change=LogsState.set_log_type,
            )),
            _text_filter(N_("From"), "start_time", type="datetime-local"),
            _text_filter(N_("To"), "end_time", type="datetime-local"),
            _text_filter(N_("Model"), "model_name"),
            _text_filter(N_("Token name"), "token_name"),
            rx.cond(LogsState.is_admin, _text_filter(N_("Channel ID"), "channel", type="number")),
            rx.cond(LogsState.is_admin, _text_filter(N_("Username"), "username")),
            rx.button(rx.icon("search", size=16), _("Query"), type="submit", id="log-query", loading=LogsState.loading),
            wrap="wrap",
            spacing="3",
            align="end",
        ),
        on_submit=LogsState.apply,
        reset_on_submit=False,
        width="100%",
    )


def _stat_bar() -> rx.Component:
    def badge(label: str, value: rx.Var, stat_id: str) -> rx.Component:
        return rx.badge(_(label), ": ", rx.text(value, as_="span", id=stat_id), size="2", variant="soft")

    return rx.flex(
        badge(N_("Quota"), LogsState.stat_quota_text, "log-stat-quota"),
        badge(N_("RPM"), LogsState.stat_rpm_text, "log-stat-rpm"),
        badge(N_("TPM"), LogsState.stat_tpm_text, "log-stat-tpm"),
        spacing="2",
        wrap="wrap",
    )


def _header_cell(label: str, admin_only: bool) -> rx.Component:
    cell = rx.table.column_header_cell(_(label), style=styles.table_head)
    return rx.cond(LogsState.is_admin, cell) if admin_only else cell


def _row(row: rx.Var) -> rx.Component:
    cells = []
    for key, _label, admin_only in COLUMNS:
        cell = rx.table.cell(row[key], white_space="nowrap")
        cells.append(rx.cond(LogsState.is_admin, cell) if admin_only else cell)
    cells.append(rx.table.cell(
        rx.icon_button(rx.icon("info", size=16), variant="ghost", size="1", aria_label=_("Details"),
                       on_click=LogsState.open_detail(row["idx"]), id="log-detail-" + row["idx"]),
    ))
    return rx.table.row(*cells)


def _table() -> rx.Component:
    return rx.vstack(
        rx.box(
            rx.table.root(
                rx.table.header(rx.table.row(*[_header_cell(label, admin) for _k, label, admin in COLUMNS],
                                             rx.table.column_header_cell(""))),
                rx.table.body(rx.foreach(LogsState.rows, _row)),
                variant="surface", size="1", width="100%", id="logs-table",
            ),
            style=styles.table,
        ),
        rx.cond(LogsState.total == 0, rx.text(_("Nothing here yet"), color_scheme="gray", size="2")),
        pager(LogsState),
        width="100%",
        spacing="3",
    )


def _detail_dialog() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title(_("Log details")),
            rx.data_list.root(
                rx.foreach(
                    LogsState.detail_items,
                    lambda it: rx.data_list.item(
                        rx.data_list.label(it[0], min_width="10em"),
                        rx.data_list.value(rx.text(it[1], word_break="break-all")),
                    ),
                ),
                size="2",
                id="log-detail",
            ),
            rx.flex(rx.dialog.close(rx.button(_("Close"), variant="soft", id="log-detail-close")),
                    justify="end", margin_top="1em"),
            max_width="36em",
        ),
        open=LogsState.detail_open,
        on_open_change=LogsState.set_detail_open,
    )


@template("/log", "Logs", on_load=LogsState.load)
def logs_page() -> rx.Component:
    return rx.vstack(
        rx.heading(_("Logs"), size="6"),
        _filters(),
        _stat_bar(),
        _table(),
        _detail_dialog(),
        spacing="4",
        width="100%",
    )
