"""/midjourney and /task: drawing logs and async task logs (status, progress, preview of the image
or a link to the video or song, fail reason), with filters and server paging."""

import reflex as rx

from newapi_ui import styles
from newapi_ui.components.stats import labelled
from newapi_ui.components.table import pager
from newapi_ui.i18n import N_, _
from newapi_ui.states.tasks import MjLogsState, TaskLogsState
from newapi_ui.template import template

MJ_COLUMNS = [
    ("time", N_("Submitted"), False), ("channel", N_("Channel"), True), ("action", N_("Type"), False),
    ("id", N_("Task ID"), False), ("status", N_("Status"), False), ("progress", N_("Progress"), False),
    ("image", N_("Image"), False), ("prompt", N_("Prompt"), False), ("fail_reason", N_("Fail reason"), False),
    ("quota", N_("Quota"), False),
]
TASK_COLUMNS = [
    ("time", N_("Submitted"), False), ("finish", N_("Finished"), False), ("channel", N_("Channel"), True),
    ("platform", N_("Platform"), False), ("kind", N_("Kind"), False), ("action", N_("Type"), False),
    ("id", N_("Task ID"), False), ("status", N_("Status"), False), ("progress", N_("Progress"), False),
    ("result", N_("Result"), False),
    ("fail_reason", N_("Fail reason"), False), ("quota", N_("Quota"), False),
]


def _cell(key: str, value: rx.Var, row: rx.Var) -> rx.Component:
    if key == "image":
        return rx.cond(value != "", rx.link(rx.image(src=value, height="48px", width="auto", alt="preview"),
                                            href=value, is_external=True), "")
    if key == "result":  # a video gets a preview link, a song or file an open link
        return rx.cond(value != "", rx.cond(row["video"] != "",
                                            rx.link(rx.icon("film", size=14), _("Preview video"), href=value,
                                                    is_external=True),
                                            rx.link(_("Open"), href=value, is_external=True)), "")
    if key in ("prompt", "fail_reason"):
        return rx.text(value, size="1", max_width="24em", style={"word_break": "break-all"})
    return rx.text(value, size="2", white_space="nowrap")


def _table(state: type, columns: list[tuple[str, str, bool]], table_id: str) -> rx.Component:
    def header(label: str, admin_only: bool) -> rx.Component:
        cell = rx.table.column_header_cell(_(label))
        return rx.cond(state.is_admin, cell) if admin_only else cell

    def row(r: rx.Var) -> rx.Component:
        cells = []
        for key, _label, admin_only in columns:
            cell = rx.table.cell(_cell(key, r[key], r))
            cells.append(rx.cond(state.is_admin, cell) if admin_only else cell)
        return rx.table.row(*cells)

    return rx.vstack(
        rx.box(
            rx.table.root(
                rx.table.header(rx.table.row(*[header(label, admin) for _k, label, admin in columns])),
                rx.table.body(rx.foreach(state.rows, row)),
                variant="surface", size="1", width="100%", id=table_id,
            ),
            style=styles.table,
        ),
        rx.cond(state.total == 0, rx.text(_("Nothing here yet"), color_scheme="gray", size="2")),
        pager(state),
        width="100%",
        spacing="3",
    )


def _filters(state: type, prefix: str, *extra: rx.Component) -> rx.Component:
    return rx.form(
        rx.flex(
            labelled(N_("Task ID"), rx.input(name="task_id", id=f"{prefix}-task-id")),
            *extra,
            labelled(N_("From"), rx.input(name="start_time", type="datetime-local", id=f"{prefix}-start")),
            labelled(N_("To"), rx.input(name="end_time", type="datetime-local", id=f"{prefix}-end")),
            rx.cond(state.is_admin, labelled(N_("Channel ID"), rx.input(name="channel", type="number",
                                                                       id=f"{prefix}-channel"))),
            rx.button(rx.icon("search", size=16), _("Query"), type="submit", id=f"{prefix}-query",
                      loading=state.loading),
            wrap="wrap", spacing="3", align="end",
        ),
        on_submit=state.apply,
        reset_on_submit=False,
        width="100%",
    )


@template("/midjourney", "Drawing logs", on_load=MjLogsState.load)
def midjourney_page() -> rx.Component:
    return rx.vstack(
        rx.heading(_("Drawing logs"), size="6"),
        _filters(MjLogsState, "mj"),
        _table(MjLogsState, MJ_COLUMNS, "mj-table"),
        spacing="4", width="100%",
    )


@template("/task", "Task logs", on_load=TaskLogsState.load)
def task_page() -> rx.Component:
    status = labelled(N_("Status"), rx.input(name="status", id="task-status", placeholder="SUCCESS / FAILURE"))
    return rx.vstack(
        rx.heading(_("Task logs"), size="6"),
        _filters(TaskLogsState, "task", status),
        _table(TaskLogsState, TASK_COLUMNS, "task-table"),
        spacing="4", width="100%",
    )
