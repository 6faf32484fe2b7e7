"""/performance (root): this worker's process figures and the maintenance buttons."""

import reflex as rx

from newapi_ui import styles
from newapi_ui.components.stats import stat_card, stat_grid
from newapi_ui.i18n import N_, _
from newapi_ui.states.performance import PerformanceState as S
from newapi_ui.template import template

CARDS = [
    ("uptime", N_("Uptime"), "timer"),
    ("rss", N_("Resident memory"), "memory-stick"),
    ("peak", N_("Peak memory"), "trending-up"),
    ("cpu", N_("CPU time (user / system)"), "cpu"),
    ("threads", N_("Threads"), "git-branch"),
    ("tasks", N_("Async tasks"), "list-checks"),
    ("gc", N_("GC runs (pending per generation)"), "recycle"),
    ("disk", N_("Disk free / total"), "hard-drive"),
]


def _buttons() -> rx.Component:
    return rx.flex(
        rx.button(rx.icon("refresh-cw", size=16), _("Refresh"), on_click=S.refresh, loading=S.busy,
                  id="perf-refresh"),
        rx.button(rx.icon("recycle", size=16), _("Run garbage collection"), on_click=S.run_gc, variant="soft",
                  id="perf-gc"),
        rx.button(rx.icon("rotate-ccw", size=16), _("Reset statistics"), on_click=S.reset_stats, variant="soft",
                  id="perf-reset"),
        rx.button(rx.icon("eraser", size=16), _("Clear caches"), on_click=S.clear_caches, variant="soft",
                  color_scheme="amber", high_contrast=True, id="perf-clear"),  # amber 11 on 3: 4.24:1
        wrap="wrap",
        spacing="2",
    )


def _details() -> rx.Component:
    return rx.box(
        rx.table.root(
            rx.table.header(rx.table.row(rx.table.column_header_cell(_("Section")),
                                         rx.table.column_header_cell(_("Name")),
                                         rx.table.column_header_cell(_("Value")))),
            rx.table.body(rx.foreach(S.details, lambda r: rx.table.row(
                rx.table.cell(r["section"]), rx.table.cell(r["name"]), rx.table.cell(r["value"])))),
            variant="surface",
            size="1",
            width="100%",
            id="perf-details",
        ),
        style=styles.table,
        width="100%",
    )


@template("/performance", "Performance", access="root", on_load=S.on_load)
def performance_page() -> rx.Component:
    return rx.vstack(
        rx.heading(_("Performance"), size="6"),
        rx.text(_("Figures of the worker process serving this page."), size="2", color_scheme="gray"),
        _buttons(),
        stat_grid(*[stat_card(label, S.cards[key], icon, f"perf-{key}") for key, label, icon in CARDS]),
        _details(),
        spacing="4",
        width="100%",
    )
