"""/reset (ask for a reset link by email) and /user/reset (the link from the mail: set a new
random password and show it once), the path new-api mails."""

import reflex as rx

from newapi_ui import styles
from newapi_ui.components import forms, login_security
from newapi_ui.i18n import N_, _
from newapi_ui.states.reset import ResetConfirmState, ResetRequestState
from newapi_ui.template import template


def _back_to_login() -> rx.Component:
    return rx.link(_("Back to log in"), href="/login", size="2", id="to-login")


@template("/reset", "Reset password", on_load=ResetRequestState.on_load, chrome="bare")
def reset_request_page() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading(_("Reset password"), size="6"),
            rx.cond(
                ResetRequestState.sent,
                rx.callout(
                    _("If an account uses this address, a mail with a reset link is on its way. "
                      "The link works once, for 10 minutes."),
                    icon="mail-check", color_scheme="green", width="100%", id="reset-sent",
                ),
                forms.form(
                    rx.text(_("Enter the email address of your account; we will mail you a link to reset "
                              "the password."), size="2", color_scheme="gray"),
                    forms.field(N_("Email"), "email", type="email", required=True, autocomplete="email"),
                    login_security.turnstile_field(),
                    forms.submit(N_("Send reset link"), ResetRequestState.busy),
                    on_submit=ResetRequestState.submit,
                    form_id="reset-form",
                ),
            ),
            _back_to_login(),
            spacing="4",
            width="100%",
        ),
        style=styles.auth_card,
    )


def _new_password() -> rx.Component:
    return rx.vstack(
        rx.callout(_("Your password was reset. Save the new one now: it is shown only this once, and you can "
                     "change it after logging in."), icon="key-round", color_scheme="green", width="100%"),
        rx.text(_("New password"), as_="label", custom_attrs={"htmlFor": "new-password"}, size="2", weight="medium"),
        rx.hstack(
            rx.input(value=ResetConfirmState.new_password, read_only=True, id="new-password", flex="1", size="3",
                     font_family="monospace"),
            rx.button(rx.icon("copy", size=16), _("Copy"), on_click=ResetConfirmState.copy_password,
                      variant="soft", size="3", id="copy-password"),
            width="100%",
        ),
        rx.button(_("Log in"), on_click=rx.redirect("/login"), width="100%", size="3", id="go-login"),
        spacing="3",
        width="100%",
    )


def _confirm() -> rx.Component:
    return rx.vstack(
        rx.text(_("Account email"), size="2", weight="medium"),
        rx.text(ResetConfirmState.email, size="3", id="reset-email", word_break="break-all"),
        rx.text(_("A new random password will be set for this account and shown to you once."), size="2",
                color_scheme="gray"),
        rx.button(_("Reset password"), on_click=ResetConfirmState.confirm, loading=ResetConfirmState.busy,
                  width="100%", size="3", id="confirm-reset"),
        spacing="3",
        width="100%",
    )


@template("/user/reset", "Choose a new password", on_load=ResetConfirmState.on_load, chrome="bare")
def reset_confirm_page() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading(_("Reset password"), size="6"),
            rx.cond(
                ResetConfirmState.new_password != "",
                _new_password(),
                rx.cond(
                    (ResetConfirmState.email != "") & (ResetConfirmState.token != ""),
                    _confirm(),
                    rx.callout(_("This reset link is incomplete. Open the link from the mail again, or ask for "
                                 "a new one."), icon="triangle-alert", color_scheme="red", width="100%"),
                ),
            ),
            rx.hstack(
                _back_to_login(),
                rx.link(_("Ask for a new link"), href="/reset", size="2"),
                spacing="4",
            ),
            spacing="4",
            width="100%",
        ),
        style=styles.auth_card,
    )
