"""/login: username or email plus password."""

import reflex as rx

from newapi_ui import styles
from newapi_ui.components import forms, login_security
from newapi_ui.components.oauth_buttons import oauth_buttons
from newapi_ui.i18n import N_, _
from newapi_ui.states.login import LoginState
from newapi_ui.template import template


@template("/login", "Log in", on_load=LoginState.on_load, chrome="bare")
def login_page() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading(_("Log in"), size="6"),
            forms.form(
                forms.field(N_("Username or email"), "username", required=True, autocomplete="username",
                            autofocus=True),
                forms.field(N_("Password"), "password", type="password", required=True,
                            autocomplete="current-password"),
                login_security.turnstile_field(),
                forms.submit(N_("Log in"), LoginState.busy),
                on_submit=LoginState.submit,
                form_id="login-form",
            ),
            login_security.passkey_button(),
            login_security.code_dialog(),
            oauth_buttons(),
            rx.hstack(
                rx.text(_("No account yet?"), size="2"),
                rx.link(_("Sign up"), href="/register", size="2", id="to-register"),
                spacing="2",
            ),
            rx.link(_("Forgot password?"), href="/reset", size="2", id="to-reset"),
            spacing="4",
            width="100%",
        ),
        style=styles.auth_card,
    )
