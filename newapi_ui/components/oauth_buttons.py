"""The social-login block of the login and register pages: a button per enabled OAuth provider,
and the Telegram bot link with its QR code (the page logs in once the bot has seen /start)."""

import reflex as rx

from newapi_ui.i18n import _
from newapi_ui.states.oauth_login import OAuthLoginState


def _provider_button(p: rx.Var) -> rx.Component:
    return rx.button(
        _("Continue with"), " ", p["name"], variant="outline", width="100%",
        on_click=OAuthLoginState.go(p["url"]), id="oauth-" + p["slug"].to(str),
    )


def telegram_bot_link() -> rx.Component:
    return rx.cond(
        OAuthLoginState.bot_url != "",
        rx.vstack(
            rx.text(_("Open this link in Telegram and press Start:"), size="2"),
            rx.link(OAuthLoginState.bot_url, href=OAuthLoginState.bot_url, is_external=True, size="2",
                    id="telegram-bot-link"),
            rx.image(src=OAuthLoginState.bot_qr, width="160px", height="160px", alt="QR", id="telegram-bot-qr"),
            spacing="2", align="center", width="100%",
        ),
        rx.button(_("Log in with Telegram"), variant="outline", width="100%", on_click=OAuthLoginState.start_bot,
                  id="telegram-bot-start"),
    )


def oauth_buttons() -> rx.Component:
    return rx.vstack(
        rx.foreach(OAuthLoginState.providers, _provider_button),
        rx.cond(OAuthLoginState.telegram_bot, telegram_bot_link()),
        spacing="2", width="100%", on_mount=OAuthLoginState.load_providers, id="oauth-buttons",
    )
