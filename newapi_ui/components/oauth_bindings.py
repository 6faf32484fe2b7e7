"""/setting's "Linked accounts" section: each enabled provider, bound or not, with bind / unbind."""

import reflex as rx

from newapi_ui.components.oauth_buttons import telegram_bot_link
from newapi_ui.i18n import _
from newapi_ui.states.oauth_login import BindingsState


def _row(b: rx.Var) -> rx.Component:
    return rx.hstack(
        rx.text(b["name"], weight="medium", size="2", min_width="8em"),
        rx.cond(
            b["bound"] != "",
            rx.hstack(rx.code(b["bound"]),
                      rx.button(_("Unbind"), size="1", variant="soft", color_scheme="red",
                                on_click=BindingsState.unbind(b["kind"], b["id"]), id="unbind-" + b["kind"].to(str)),
                      spacing="2", align="center"),
            rx.text(_("Not bound"), size="2", color_scheme="gray"),
        ),
        spacing="3", align="center", width="100%",
    )


def _bind_button(p: rx.Var) -> rx.Component:
    return rx.button(_("Bind"), " ", p["name"], size="1", variant="outline", on_click=BindingsState.go(p["url"]),
                     id="bind-" + p["slug"].to(str))


def oauth_bindings() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading(_("Linked accounts"), as_="h2", size="4"),
            rx.foreach(BindingsState.bindings, _row),
            rx.hstack(rx.foreach(BindingsState.providers, _bind_button), spacing="2", wrap="wrap"),
            rx.cond(BindingsState.telegram_bot, telegram_bot_link()),
            spacing="3", width="100%",
        ),
        width="100%", id="linked-accounts", on_mount=BindingsState.load_bindings,
    )
