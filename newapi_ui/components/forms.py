"""Form building blocks: labelled inputs, switches and a submit button with a busy state."""

from __future__ import annotations

import reflex as rx

from newapi_ui.i18n import _


def field(label: str, name: str, *, type: str = "text", required: bool = False,  # noqa: A002
          default: rx.Var | str = "", autocomplete: str = "off", hint: str = "") -> rx.Component:
    """`label` and `hint` are msgids; the input's id is `name`, so tests and labels can find it."""
    parts = [
        rx.text(_(label), as_="label", html_for=name, size="2", weight="medium"),
        rx.input(name=name, id=name, type=type, required=required, default_value=default,
                 auto_complete=autocomplete, width="100%", size="3"),
    ]
    if hint:
        parts.append(rx.text(_(hint), size="1", color_scheme="gray"))
    return rx.vstack(*parts, spacing="1", width="100%")


def switch(label: str, name: str) -> rx.Component:
    return rx.hstack(rx.switch(name=name, id=name), rx.text(_(label), as_="label", html_for=name, size="2"),
                     align="center")


def submit(label: str, busy: rx.Var) -> rx.Component:
    return rx.button(_(label), type="submit", loading=busy, width="100%", size="3", id="submit")


def form(*children: rx.Component, on_submit, form_id: str) -> rx.Component:  # noqa: ANN001
    return rx.form(rx.vstack(*children, spacing="4", width="100%"), on_submit=on_submit, reset_on_submit=False,
                   id=form_id, width="100%")


def bound_field(label: str, element_id: str, value: rx.Var, on_change, *, hint: str = "",  # noqa: ANN001
                type: str = "text") -> rx.Component:  # noqa: A002
    """A labelled input bound to a state value (dialog forms that are filled from the state);
    `label` and `hint` are msgids."""
    parts = [rx.text(_(label), as_="label", html_for=element_id, size="2", weight="medium"),
             rx.input(value=value, on_change=on_change, id=element_id, type=type, width="100%")]
    if hint:
        parts.append(rx.text(_(hint), size="1", color_scheme="gray"))
    return rx.vstack(*parts, spacing="1", width="100%")


def dialog_footer(error: rx.Var, busy: rx.Var, on_save, prefix: str) -> rx.Component:  # noqa: ANN001
    """The refusal (if any) and Cancel / Save of a form dialog; ids `<prefix>-error`, `<prefix>-save`."""
    return rx.fragment(
        rx.cond(error != "", rx.callout(error, icon="triangle-alert", color_scheme="red", id=f"{prefix}-error",
                                        width="100%")),
        rx.hstack(
            rx.dialog.close(rx.button(_("Cancel"), variant="soft", color_scheme="gray")),
            rx.button(_("Save"), on_click=on_save, loading=busy, id=f"{prefix}-save"),
            justify="end", width="100%",
        ),
    )
