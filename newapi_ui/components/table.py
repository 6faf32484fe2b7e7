"""A table fed by a PagedState: rows come from the server one page at a time."""

from __future__ import annotations

import reflex as rx

from newapi_ui import styles
from newapi_ui.i18n import _
from newapi_ui.states.paging import PAGE_SIZES, PagedState


def pager(state: type[PagedState]) -> rx.Component:
    return rx.hstack(
        rx.text(_("Total"), ": ", state.total, size="2", color_scheme="gray"),
        rx.spacer(),
        rx.select(list(PAGE_SIZES), value=state.page_size_text, on_change=state.set_page_size, size="1"),
        rx.icon_button(rx.icon("chevron-left"), on_click=state.prev_page, disabled=state.page <= 1,
                       variant="soft", size="1", aria_label="previous page", id="prev-page"),
        rx.text(state.page, " / ", state.page_count, size="2", id="page-indicator"),
        rx.icon_button(rx.icon("chevron-right"), on_click=state.next_page, disabled=state.page >= state.page_count,
                       variant="soft", size="1", aria_label="next page", id="next-page"),
        align="center",
        width="100%",
        spacing="2",
    )


def paged_table(state: type[PagedState], columns: list[tuple[str, str]], table_id: str) -> rx.Component:
    """`columns` are (row key, header msgid) pairs."""
    return rx.vstack(
        rx.box(
            rx.table.root(
                rx.table.header(rx.table.row(*[rx.table.column_header_cell(_(h)) for _k, h in columns])),
                rx.table.body(
                    rx.foreach(state.rows, lambda row: rx.table.row(*[rx.table.cell(row[k]) for k, _h in columns]))
                ),
                variant="surface",
                size="2",
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
