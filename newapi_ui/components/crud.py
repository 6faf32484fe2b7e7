"""The frame of a table page with row actions, written once: heading, toolbar (a search form and
the page's buttons), the table, the page's dialogs and the yes/no confirmation, plus the dialog
shell every create/edit form uses. Element ids derive from the page's `prefix` (`ch`, `t`, `u`...):
`<prefix>-search`, `<prefix>-confirm-ok`, `<prefix>-form-error`."""

from __future__ import annotations

from typing import Any

import reflex as rx

from newapi_ui.i18n import _
from newapi_ui.states.crud import CrudState


def page_heading(title: str) -> rx.Component:
    """The page's one h1 (`title` is a msgid)."""
    return rx.heading(_(title), as_="h1", size="6")


def search_bar(state: type[CrudState], prefix: str, *fields: rx.Component,
               buttons: tuple[rx.Component, ...] = ()) -> rx.Component:
    """The toolbar: `fields` (named inputs, read by `state.search`), Search, then the page's buttons
    at the far end (give them `type="button"`: they sit inside the form)."""
    return rx.form(
        rx.flex(
            *fields,
            rx.button(rx.icon("search", size=16), _("Search"), type="submit", id=f"{prefix}-search"),
            *([rx.spacer(), *buttons] if buttons else []),
            wrap="wrap",
            spacing="3",
            align="end",
            width="100%",
        ),
        on_submit=state.search,
        reset_on_submit=False,
        width="100%",
    )


def confirm_dialog(state: type[CrudState], prefix: str, *, on_confirm: Any = None, on_cancel: Any = None) -> rx.Component:
    """A yes/no dialog for destructive actions; the state's message is already translated. The
    state's `confirm` / `cancel_confirm` answer it unless other handlers are given."""
    dialog_id = f"{prefix}-confirm"
    return rx.alert_dialog.root(
        rx.alert_dialog.content(
            rx.alert_dialog.title(_("Are you sure?")),
            rx.alert_dialog.description(state.confirm_message, id=f"{dialog_id}-message"),
            rx.flex(
                rx.alert_dialog.cancel(
                    rx.button(_("Cancel"), variant="soft", color_scheme="gray", on_click=on_cancel or state.cancel_confirm,
                              id=f"{dialog_id}-cancel"),
                ),
                rx.alert_dialog.action(
                    rx.button(_("Confirm"), color_scheme="red", on_click=on_confirm or state.confirm, id=f"{dialog_id}-ok"),
                ),
                spacing="3",
                justify="end",
                margin_top="1em",
            ),
            max_width="28em",
        ),
        open=state.confirm_open,
    )


def form_error(message: rx.Var, element_id: str) -> rx.Component:
    return rx.cond(message != "", rx.callout(message, icon="triangle-alert", color_scheme="red", id=element_id,
                                             width="100%"))


def form_dialog(title: rx.Component | str, *body: rx.Component, open_: rx.Var, on_open_change: Any,
                error: rx.Var | None = None, error_id: str = "", save: rx.Component | None = None,
                on_submit: Any = None, cancel_id: str | None = None, max_width: str = "28em",
                dialog_id: str | None = None) -> rx.Component:
    """A create/edit dialog: title, the fields, the error callout, Cancel and `save`. With
    `on_submit` the fields form an HTML form (its values go to the handler; `save` is then a
    submit button), otherwise `save` calls its own handler with values held in the state."""
    parts = [*body]
    if error is not None:
        parts.append(form_error(error, error_id))
    parts.append(rx.hstack(
        rx.dialog.close(rx.button(_("Cancel"), variant="soft", color_scheme="gray", type="button", id=cancel_id)),
        *([save] if save is not None else []),
        justify="end",
        width="100%",
    ))
    inner = rx.vstack(*parts, spacing="3", width="100%")
    if on_submit is not None:
        inner = rx.form(inner, on_submit=on_submit, reset_on_submit=False)
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title(_(title) if isinstance(title, str) else title),
            inner,
            max_width=max_width,
            id=dialog_id,
        ),
        open=open_,
        on_open_change=on_open_change,
    )


def crud_page(title: str, state: type[CrudState], prefix: str, *parts: rx.Component) -> rx.Component:
    """The page: its h1, then `parts` (toolbar, table, dialogs) in order, then the confirmation."""
    return rx.vstack(page_heading(title), *parts, confirm_dialog(state, prefix), spacing="4", width="100%")
