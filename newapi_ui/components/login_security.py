"""Pieces of the login page for account security: the 2FA code step, the Turnstile widget and the
"log in with a passkey" button (state: `states/login_security.py`)."""

from __future__ import annotations

import reflex as rx

from newapi_ui.components import forms, turnstile
from newapi_ui.i18n import N_, _
from newapi_ui.states.login_security import LoginSecurityState


def code_dialog() -> rx.Component:
    """Opens once the password was accepted and the account has 2FA on."""
    return rx.dialog.root(rx.dialog.content(rx.vstack(
        rx.dialog.title(_("Two-factor authentication")),
        rx.text(_("Enter the code of your authenticator app or a backup code"), size="2", color_scheme="gray"),
        forms.form(
            forms.field(N_("Verification code"), "code", required=True, autocomplete="one-time-code"),
            rx.button(_("Verify"), type="submit", loading=LoginSecurityState.busy, width="100%", size="3",
                      id="submit-code"),
            on_submit=LoginSecurityState.submit_code,
            form_id="login-2fa-form",
        ),
        rx.link(_("Back"), on_click=LoginSecurityState.back, size="2", id="back-to-password"),
        spacing="4",
        width="100%",
    ), max_width="420px"), open=LoginSecurityState.need_code)


def turnstile_field() -> rx.Component:
    """The Turnstile widget for a login, register or reset form; learns on mount whether it is on."""
    return rx.box(turnstile.widget(LoginSecurityState.turnstile_on, LoginSecurityState.turnstile_site_key),
                  on_mount=LoginSecurityState.load)


def passkey_button() -> rx.Component:
    return rx.cond(
        LoginSecurityState.passkey_on,
        rx.button(rx.icon("key-round", size=16), _("Log in with a passkey"), on_click=LoginSecurityState.passkey_login,
                  loading=LoginSecurityState.busy, variant="outline", width="100%", id="passkey-login"),
    )
