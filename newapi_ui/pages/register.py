"""/register (`?aff=<code>` pre-fills the invitation code)."""

import reflex as rx

from newapi_ui import styles
from newapi_ui.components import forms, login_security
from newapi_ui.components.oauth_buttons import oauth_buttons
from newapi_ui.i18n import N_, _
from newapi_ui.states.register import RegisterState
from newapi_ui.template import template


def _verified_email() -> rx.Component:
    """When EmailVerificationEnabled is on: the address, a button mailing it a code, the code."""
    return rx.vstack(
        rx.vstack(
            rx.text(_("Email"), as_="label", html_for="email", size="2", weight="medium"),
            rx.hstack(
                rx.input(name="email", id="email", type="email", required=True, auto_complete="email",
                         value=RegisterState.email, on_change=RegisterState.set_email, flex="1", size="3"),
                rx.button(_("Send code"), type="button", on_click=RegisterState.send_code,
                          loading=RegisterState.code_busy, variant="soft", size="3", id="send-code"),
                width="100%",
            ),
            spacing="1",
            width="100%",
        ),
        forms.field(N_("Verification code"), "verification_code", required=True, autocomplete="one-time-code"),
        spacing="4",
        width="100%",
    )


def _consent() -> rx.Component:
    """new-api's consent line: links to whichever legal texts the root published."""
    return rx.hstack(
        rx.checkbox(checked=RegisterState.agreed, on_change=RegisterState.set_agreed, id="agree-terms"),
        rx.text(
            _("I have read and agree to the"), " ",
            rx.cond(RegisterState.has_agreement,
                    rx.link(_("User agreement"), href="/user-agreement", is_external=True, id="link-agreement")),
            rx.cond(RegisterState.has_agreement & RegisterState.has_privacy, rx.text.span(" ", _("and"), " ")),
            rx.cond(RegisterState.has_privacy,
                    rx.link(_("Privacy policy"), href="/privacy-policy", is_external=True, id="link-privacy")),
            size="2",
        ),
        align="center",
        spacing="2",
    )


@template("/register", "Sign up", on_load=RegisterState.on_load, chrome="bare")
def register_page() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading(_("Sign up"), size="6"),
            forms.form(
                forms.field(N_("Username"), "username", required=True, autocomplete="username"),
                forms.field(N_("Password"), "password", type="password", required=True, autocomplete="new-password",
                            hint=N_("8 to 20 characters")),
                forms.field(N_("Confirm password"), "confirm", type="password", required=True,
                            autocomplete="new-password"),
                rx.cond(RegisterState.email_verification, _verified_email(),
                        forms.field(N_("Email (optional)"), "email", type="email", autocomplete="email")),
                rx.vstack(
                    rx.text(_("Invitation code (optional)"), as_="label", html_for="aff_code", size="2",
                            weight="medium"),
                    rx.input(name="aff_code", id="aff_code", value=RegisterState.aff_code,
                             on_change=RegisterState.set_aff_code, width="100%", size="3"),
                    spacing="1",
                    width="100%",
                ),
                login_security.turnstile_field(),
                rx.cond(RegisterState.needs_consent, _consent()),
                forms.submit(N_("Sign up"), RegisterState.busy),
                on_submit=RegisterState.submit,
                form_id="register-form",
            ),
            oauth_buttons(),
            rx.hstack(
                rx.text(_("Already have an account?"), size="2"),
                rx.link(_("Log in"), href="/login", size="2"),
                spacing="2",
            ),
            spacing="4",
            width="100%",
        ),
        style=styles.auth_card,
    )
