"""An admin table fed by a PagedState: formatted cells, an optional select box per row and a
column of row actions. Rows carry their own `id` (as text) and, for the status badge, `status_color`."""

from __future__ import annotations

from collections.abc import Callable

import reflex as rx

from newapi_ui import styles
from newapi_ui.components.table import pager
from newapi_ui.i18n import _
from newapi_ui.states.paging import PagedState


def _cell(row: rx.Var, key: str) -> rx.Component:
    if key == "status":
        return rx.table.cell(rx.badge(row["status"], color_scheme=row["status_color"], variant="soft"))
    return rx.table.cell(row[key], max_width="16em", overflow="hidden", text_overflow="ellipsis",
                         white_space="nowrap", title=row[key])


def action_table(state: type[PagedState], columns: list[tuple[str, str]], table_id: str,
                 actions: Callable[[rx.Var], rx.Component], *, select: tuple | None = None) -> rx.Component:
    """`columns` are (row key, header msgid) pairs; `select` is (selected-ids Var, toggle handler,
    toggle-all handler) for tables with batch actions."""
    head = [rx.table.column_header_cell(_(h)) for _k, h in columns]
    if select is not None:
        selected, toggle, toggle_all = select
        head.insert(0, rx.table.column_header_cell(
            rx.checkbox(on_change=toggle_all, id=f"{table_id}-select-all", aria_label="select all")))

    def row_of(row: rx.Var) -> rx.Component:
        cells = [_cell(row, k) for k, _h in columns]
        if select is not None:
            cells.insert(0, rx.table.cell(rx.checkbox(
                checked=selected.contains(row["id"]), on_change=lambda _c: toggle(row["id"]),
                id=f"{table_id}-select-" + row["id"].to(str), aria_label="select")))
        cells.append(rx.table.cell(rx.hstack(actions(row), spacing="1", wrap="wrap")))
        return rx.table.row(*cells, id=f"{table_id}-row-" + row["id"].to(str))

    return rx.vstack(
        rx.box(
            rx.table.root(
                rx.table.header(rx.table.row(*head, rx.table.column_header_cell(_("Actions")))),
                rx.table.body(rx.foreach(state.rows, row_of)),
                variant="surface",
                size="1",
                width="100%",
                id=table_id,
            ),
            style=styles.table,
        ),
        rx.cond(state.total == 0, rx.text(_("Nothing here yet"), color_scheme="gray", size="2")),
        pager(state),
        width="100%",
        spacing="3",
    )


def icon_action(icon: str, label: str, on_click, element_id: rx.Var | str, *, color: str = "gray",  # noqa: ANN001
                disabled: rx.Var | bool = False) -> rx.Component:
    """A small icon button with a translated tooltip (`label` is a msgid)."""
    return rx.tooltip(
        rx.icon_button(rx.icon(icon, size=14), on_click=on_click, size="1", variant="soft", color_scheme=color,
                       id=element_id, disabled=disabled, aria_label=label),
        content=_(label),
    )
