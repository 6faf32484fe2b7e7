"""The console's one table, fed by a PagedState one server-side page at a time: formatted cells
(ellipsis with the full text as a tooltip), a status badge, optional select boxes for batch
actions and a column of row actions. Rows carry their own `id` (as text) and, for the status
badge, `status` and `status_color`."""

from __future__ import annotations

from collections.abc import Callable

import reflex as rx

from newapi_ui import styles
from newapi_ui.i18n import _
from newapi_ui.states.paging import PAGE_SIZES, PagedState

Columns = list[tuple[str, str]]  # (row field, header msgid)


def pager(state: type[PagedState]) -> rx.Component:
    return rx.hstack(
        rx.text(_("Total"), ": ", state.total, size="2", color_scheme="gray"),
        rx.spacer(),
        rx.select(list(PAGE_SIZES), value=state.page_size_text, on_change=state.set_page_size, size="1",
                  custom_attrs={"aria-label": _("Rows per page")}),  # on the trigger, the focusable button
        rx.icon_button(rx.icon("chevron-left"), on_click=state.prev_page, disabled=state.page <= 1,
                       variant="soft", size="1", aria_label=_("Previous page"), id="prev-page"),
        rx.text(state.page, " / ", state.page_count, size="2", id="page-indicator"),
        rx.icon_button(rx.icon("chevron-right"), on_click=state.next_page, disabled=state.page >= state.page_count,
                       variant="soft", size="1", aria_label=_("Next page"), id="next-page"),
        align="center",
        width="100%",
        spacing="2",
    )


def _cell(row: rx.Var, key: str) -> rx.Component:
    if key == "status":
        return rx.table.cell(rx.badge(row["status"], color_scheme=row["status_color"], variant="soft"))
    return rx.table.cell(row[key], style=styles.table_cell, title=row[key])


def data_table(state: type[PagedState], columns: Columns, table_id: str, *,
               actions: Callable[[rx.Var], rx.Component] | None = None, select: tuple | None = None,
               empty: rx.Component | None = None) -> rx.Component:
    """`select` is (selected-ids Var, toggle handler, toggle-all handler) for tables with batch
    actions; `empty` replaces the plain "Nothing here yet" (e.g. with the button that adds a row)."""
    head = [rx.table.column_header_cell(_(h), style=styles.table_head) for _k, h in columns]
    if select is not None:
        selected, toggle, toggle_all = select
        head.insert(0, rx.table.column_header_cell(
            rx.checkbox(on_change=toggle_all, id=f"{table_id}-select-all", aria_label=_("Select all"))))
    if actions is not None:
        head.append(rx.table.column_header_cell(_("Actions"), style=styles.table_head))

    def row_of(row: rx.Var) -> rx.Component:
        cells = [_cell(row, k) for k, _h in columns]
        if select is not None:
            cells.insert(0, rx.table.cell(rx.checkbox(
                checked=selected.contains(row["id"]), on_change=lambda _c: toggle(row["id"]),
                id=f"{table_id}-select-" + row["id"].to(str), aria_label=_("Select"))))
        if actions is not None:
            cells.append(rx.table.cell(rx.hstack(actions(row), spacing="1", wrap="nowrap")))
        if actions is None and select is None:  # a read-only list: its rows need no id
            return rx.table.row(*cells)
        return rx.table.row(*cells, id=f"{table_id}-row-" + row["id"].to(str))

    return rx.vstack(
        rx.box(
            rx.table.root(
                rx.table.header(rx.table.row(*head)),
                rx.table.body(rx.foreach(state.rows, row_of)),
                variant="surface",
                size="1" if actions is not None else "2",
                width="100%",
                id=table_id,
            ),
            style=styles.table,
        ),
        rx.cond(state.total == 0, empty if empty is not None else
                rx.text(_("Nothing here yet"), color_scheme="gray", size="2")),
        pager(state),
        width="100%",
        spacing="3",
    )


def empty_state(message: str, action: str, on_click: object, element_id: str) -> rx.Component:
    """An empty table's message with the button that adds its first row (msgids)."""
    return rx.hstack(rx.text(_(message), color_scheme="gray", size="2"),
                     rx.button(rx.icon("plus", size=14), _(action), on_click=on_click, size="1", variant="soft",
                               id=element_id),
                     align="center", spacing="3")


def icon_action(icon: str, label: str, on_click, element_id: rx.Var | str, *, color: str = "gray",  # noqa: ANN001
                disabled: rx.Var | bool = False) -> rx.Component:
    """A small icon button with a translated tooltip (`label` is a msgid)."""
    return rx.tooltip(
        rx.icon_button(rx.icon(icon, size=14), on_click=on_click, size="1", variant="soft", color_scheme=color,
                       id=element_id, disabled=disabled, aria_label=_(label)),
        content=_(label),
    )
