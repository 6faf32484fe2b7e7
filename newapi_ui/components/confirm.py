"""A yes/no dialog for destructive actions; the state decides what "yes" does."""

from __future__ import annotations

import reflex as rx

from newapi_ui.i18n import _


def confirm_dialog(open_: rx.Var, message: rx.Var, on_confirm, on_cancel, dialog_id: str) -> rx.Component:  # noqa: ANN001
    """`message` is already translated by the state; the buttons get `<dialog_id>-ok` / `-cancel`."""
    return rx.alert_dialog.root(
        rx.alert_dialog.content(
            rx.alert_dialog.title(_("Are you sure?")),
            rx.alert_dialog.description(message, id=f"{dialog_id}-message"),
            rx.flex(
                rx.alert_dialog.cancel(
                    rx.button(_("Cancel"), variant="soft", color_scheme="gray", on_click=on_cancel,
                              id=f"{dialog_id}-cancel"),
                ),
                rx.alert_dialog.action(
                    rx.button(_("Confirm"), color_scheme="red", on_click=on_confirm, id=f"{dialog_id}-ok"),
                ),
                spacing="3",
                justify="end",
                margin_top="1em",
            ),
            max_width="28em",
        ),
        open=open_,
    )
