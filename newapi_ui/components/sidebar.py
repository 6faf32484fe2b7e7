"""The left navigation: a fixed column on wide screens, a drawer on phones. Items appear by role."""

from __future__ import annotations

import reflex as rx

from newapi_ui import styles
from newapi_ui.components.navigation import NAV_ITEMS, NavItem
from newapi_ui.i18n import _
from newapi_ui.states.auth import AuthState


def _visible(item: NavItem, link: rx.Component) -> rx.Component:
    if item.min_role <= 0:
        return link
    return rx.cond(AuthState.role >= item.min_role, link)


def _nav_link(item: NavItem) -> rx.Component:
    path = AuthState.router.page.path
    active = (path == item.route) | (path == "/index") if item.route == "/" else path == item.route  # Reflex names / "/index"
    link = rx.link(
        rx.hstack(rx.icon(item.icon, size=18), rx.text(_(item.label), size="3"), align="center", spacing="3"),
        href=item.route,
        underline="none",
        style=rx.cond(active, styles.nav_item_active, styles.nav_item),
        id=f"nav-{item.route.strip('/') or 'home'}",
        custom_attrs={"aria-current": rx.cond(active, "page", "false")},
    )
    return _visible(item, link)


def brand() -> rx.Component:
    return rx.link(
        rx.hstack(rx.icon("waypoints", size=22), rx.text(AuthState.system_name, size="5", weight="bold"), align="center"),
        href="/",
        underline="none",
        color_scheme="gray",
        high_contrast=True,
    )


def nav_links() -> rx.Component:
    return rx.el.nav(rx.vstack(*[_nav_link(item) for item in NAV_ITEMS], spacing="1", width="100%"),
                     aria_label=_("Navigation"), width="100%")


def sidebar() -> rx.Component:
    return rx.vstack(brand(), rx.divider(), nav_links(), display=styles.DESKTOP_ONLY, style=styles.sidebar)


def mobile_menu() -> rx.Component:
    return rx.drawer.root(
        rx.drawer.trigger(rx.icon_button(rx.icon("menu"), variant="ghost", aria_label=_("Menu"), id="mobile-menu")),
        rx.drawer.overlay(z_index="20"),
        rx.drawer.portal(
            rx.drawer.content(
                rx.vstack(
                    rx.hstack(brand(), rx.spacer(), rx.drawer.close(rx.icon_button(rx.icon("x"), variant="ghost",
                                                                                    aria_label=_("Close")))),
                    rx.divider(),
                    nav_links(),
                    padding="1em",
                ),
                top="auto",
                left="0",
                height="100%",
                width="16em",
                z_index="30",
                background_color=rx.color("gray", 2),
            )
        ),
        direction="left",
    )
