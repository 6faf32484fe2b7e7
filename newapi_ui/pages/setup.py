"""/setup: the first-run wizard (root account and the two site modes)."""

import reflex as rx

from newapi_ui import styles
from newapi_ui.components import forms
from newapi_ui.i18n import N_, _
from newapi_ui.states.setup import SetupState
from newapi_ui.template import template


@template("/setup", "Setup", on_load=SetupState.on_load, chrome="bare")
def setup_page() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading(_("Welcome! Set up your gateway"), size="6"),
            rx.text(_("Create the root account. It manages everything on this instance."), color_scheme="gray"),
            rx.cond(SetupState.database_type != "",
                    rx.badge(_("Database"), ": ", SetupState.database_type, variant="soft")),
            forms.form(
                forms.field(N_("Root username"), "username", required=True, autocomplete="username"),
                forms.field(N_("Password"), "password", type="password", required=True, autocomplete="new-password",
                            hint=N_("8 to 20 characters")),
                forms.field(N_("Confirm password"), "confirm", type="password", required=True,
                            autocomplete="new-password"),
                forms.switch(N_("Self-use mode (models without a price are allowed)"), "self_use"),
                forms.switch(N_("Demo site mode"), "demo"),
                forms.submit(N_("Initialise"), SetupState.busy),
                on_submit=SetupState.submit,
                form_id="setup-form",
            ),
            spacing="4",
            width="100%",
        ),
        style=styles.auth_card,
    )
