"""The top bar: menu (phones), language and theme switches, and the user's menu or login links."""

from __future__ import annotations

import reflex as rx

from newapi_ui import styles
from newapi_ui.components.sidebar import mobile_menu
from newapi_ui.i18n import LANGUAGES, N_, _
from newapi_ui.states.auth import AuthState
from newapi_ui.states.i18n import I18nState


def language_menu() -> rx.Component:
    return rx.menu.root(
        rx.menu.trigger(rx.icon_button(rx.icon("languages"), variant="ghost", aria_label=_("Language"), id="lang-menu")),
        rx.menu.content(
            *[
                rx.menu.item(name, on_click=I18nState.set_lang(code), id=f"lang-{code}")
                for code, name in LANGUAGES.items()
            ]
        ),
    )


def theme_switch() -> rx.Component:
    return rx.icon_button(
        rx.color_mode_cond(light=rx.icon("moon"), dark=rx.icon("sun")),
        on_click=rx.toggle_color_mode,
        variant="ghost",
        aria_label=_("Theme"),
        id="theme-switch",
    )


def user_menu() -> rx.Component:
    return rx.cond(
        AuthState.logged_in,
        rx.menu.root(
            rx.menu.trigger(
                rx.button(rx.icon("circle-user", size=18), rx.text(AuthState.username, id="current-user"),
                          variant="soft", id="user-menu"),
            ),
            rx.menu.content(rx.menu.item(_("Log out"), on_click=AuthState.logout, id="logout")),
        ),
        rx.hstack(
            link_button(N_("Log in"), "/login", variant="soft"),
            link_button(N_("Sign up"), "/register", display=["none", "inline-flex"]),
            spacing="2",
        ),
    )


def link_button(label: str, href: str, **props) -> rx.Component:  # noqa: ANN003
    """A link that looks like a button: one <a>, never a button inside a link (`label` a msgid).
    The <a> keeps Radix's link colour over the button's, so the button's own text colour is set on it:
    white-ish on a solid button, the accent's text shade on the soft and outline ones (both pass
    WCAG AA contrast; tests/ui/test_axe_browser.py)."""
    solid = props.get("variant", "solid") == "solid"
    color = "var(--accent-contrast)" if solid else "var(--accent-11)"
    return rx.button(rx.link(_(label), href=href, underline="none", color=color), as_child=True, **props)


def navbar() -> rx.Component:
    return rx.el.header(rx.hstack(
        rx.box(mobile_menu(), display=styles.MOBILE_ONLY),
        rx.spacer(),
        language_menu(),
        theme_switch(),
        user_menu(),
        align="center",
        spacing="3",
        width="100%",
        height="100%",
    ), style=styles.navbar, width="100%")
