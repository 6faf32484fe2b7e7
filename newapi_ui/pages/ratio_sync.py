"""/ratio_sync (root): fetch other sites' ratios, compare, and take the values ticked."""

import reflex as rx

from newapi_ui import styles
from newapi_ui.components.forms import labelled
from newapi_ui.i18n import N_, _
from newapi_ui.states.ratio_sync import RatioSyncState as S
from newapi_ui.template import template


def _sources() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.text(_("Sources"), weight="medium"),
            rx.flex(
                rx.foreach(S.sources, lambda s: rx.hstack(
                    rx.checkbox(checked=S.chosen.contains(s["id"]), on_change=lambda _c: S.toggle_source(s["id"]),
                                id="rs-src-" + s["id"], aria_label=s["name"]),
                    rx.text(s["name"], size="2"),
                    rx.text(s["base_url"], size="1", color_scheme="gray"),
                    align="center",
                )),
                direction="column",
                spacing="1",
                id="rs-sources",
            ),
            rx.flex(
                labelled(N_("Endpoint of channel sites"), rx.input(value=S.endpoint, on_change=S.set_endpoint,
                                                                   id="rs-endpoint", min_width="18em")),
                rx.button(rx.icon("cloud-download", size=16), _("Fetch"), on_click=S.fetch, loading=S.fetching,
                          disabled=S.chosen.length() == 0, id="rs-fetch"),
                align="end",
                spacing="3",
                wrap="wrap",
            ),
            spacing="3",
            width="100%",
        ),
        style=styles.card,
        width="100%",
    )


def _results() -> rx.Component:
    return rx.flex(
        rx.foreach(S.results, lambda r: rx.badge(
            r["name"], rx.cond(r["ok"] == "1", "", ": " + r["error"]),
            color_scheme=rx.cond(r["ok"] == "1", "green", "red"), variant="soft", class_name="rs-result")),
        wrap="wrap",
        spacing="2",
        id="rs-results",
    )


def _row(row: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.checkbox(checked=S.ticked.contains(row["key"]), on_change=lambda _c: S.toggle_row(row["key"]),
                                  disabled=row["pickable"] != "1", class_name="rs-tick")),
        rx.table.cell(row["model"]),
        rx.table.cell(row["field"]),
        rx.table.cell(row["current"]),
        rx.table.cell(row["theirs"]),
    )


def _differences() -> rx.Component:
    return rx.vstack(
        rx.flex(
            labelled(N_("Take values from"), rx.select(S.answered, value=S.source, on_change=S.set_source,
                                                       id="rs-source")),
            rx.spacer(),
            rx.button(_("Write ticked values"), on_click=S.apply, disabled=S.ticked.length() == 0, id="rs-apply"),
            align="end",
            width="100%",
            wrap="wrap",
        ),
        rx.box(
            rx.table.root(
                rx.table.header(rx.table.row(
                    rx.table.column_header_cell(rx.checkbox(on_change=S.tick_all, id="rs-tick-all")),
                    *[rx.table.column_header_cell(_(h)) for h in (N_("Model"), N_("Field"), N_("Ours"), N_("Theirs"))],
                )),
                rx.table.body(rx.foreach(S.rows, _row)),
                variant="surface",
                size="1",
                width="100%",
                id="rs-table",
            ),
            style=styles.table,
            width="100%",
        ),
        rx.cond(S.rows.length() == 0, rx.text(_("No differences"), size="2", color_scheme="gray", id="rs-none")),
        width="100%",
        spacing="3",
    )


@template("/ratio_sync", "Ratio sync", access="root", on_load=S.on_load)
def ratio_sync_page() -> rx.Component:
    return rx.vstack(
        rx.heading(_("Ratio sync"), size="6"),
        rx.text(_("Compare our model prices with other sites' and take the values you pick."), size="2",
                color_scheme="gray"),
        _sources(),
        _results(),
        rx.cond(S.results.length() > 0, _differences()),
        spacing="4",
        width="100%",
    )
