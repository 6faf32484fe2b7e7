"""/oauth/<provider>: where a provider sends the browser back; hands the code to the API, which
logs the browser in (or binds the account) and the page moves on."""

import reflex as rx

from newapi_ui import styles
from newapi_ui.i18n import _
from newapi_ui.states.oauth_login import OAuthCallbackState
from newapi_ui.template import template


@template("/oauth/[provider]", "Signing in", on_load=OAuthCallbackState.on_load, chrome="bare")
def oauth_callback_page() -> rx.Component:
    return rx.card(
        rx.cond(
            OAuthCallbackState.message != "",
            rx.vstack(rx.text(OAuthCallbackState.message, color_scheme="red", id="oauth-error"),
                      rx.link(_("Back to login"), href="/login"), spacing="3"),
            rx.hstack(rx.spinner(), rx.text(_("Signing you in…")), spacing="2"),
        ),
        style=styles.auth_card,
    )
