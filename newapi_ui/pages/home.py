"""/: the site's home content for visitors, plus the account summary for a logged-in user."""

import reflex as rx

from newapi_ui import styles
from newapi_ui.components.notice import notice
from newapi_ui.i18n import N_, _
from newapi_ui.states.home import HomeState
from newapi_ui.template import template


def _stat(label: str, value: rx.Var, icon: str, stat_id: str) -> rx.Component:
    return rx.card(
        rx.hstack(
            rx.icon(icon, size=28, color=rx.color(styles.ACCENT, 10)),
            rx.vstack(
                rx.text(_(label), size="2", color_scheme="gray"),
                rx.heading(value, size="6", id=stat_id),
                spacing="1",
            ),
            align="center",
            spacing="4",
        ),
        style=styles.card,
    )


def _summary() -> rx.Component:
    return rx.vstack(
        rx.heading(_("Welcome back"), ", ", HomeState.user_label, size="6", id="welcome"),
        rx.grid(
            _stat(N_("Balance"), HomeState.balance_text, "wallet", "stat-balance"),
            _stat(N_("Used"), HomeState.used_text, "chart-no-axes-column", "stat-used"),
            _stat(N_("Requests"), HomeState.requests_text, "activity", "stat-requests"),
            _stat(N_("Group"), HomeState.group, "users", "stat-group"),
            columns=rx.breakpoints(initial="1", sm="2", lg="4"),
            spacing="4",
            width="100%",
        ),
        spacing="4",
        width="100%",
    )


def _visitor() -> rx.Component:
    return rx.vstack(
        rx.heading(HomeState.system_name, size="8"),
        rx.text(_("One OpenAI-compatible endpoint in front of many model providers."), size="4",
                color_scheme="gray"),
        rx.hstack(
            rx.link(rx.button(_("Log in"), size="3"), href="/login"),
            rx.link(rx.button(_("Sign up"), size="3", variant="outline"), href="/register"),
        ),
        spacing="4",
        padding_y="2em",
    )


def _home_content() -> rx.Component:
    return rx.cond(
        HomeState.home_content != "",
        rx.cond(
            HomeState.home_is_url,
            rx.el.iframe(src=HomeState.home_content, width="100%", height="600px", border="none"),
            rx.markdown(HomeState.home_content),
        ),
    )


def _uptime() -> rx.Component:
    return rx.cond(
        HomeState.uptime.length() > 0,
        rx.card(
            rx.vstack(
                rx.heading(_("Service status"), size="4"),
                rx.table.root(
                    rx.table.body(rx.foreach(HomeState.uptime, lambda m: rx.table.row(
                        rx.table.cell(m["category"], color_scheme="gray"),
                        rx.table.cell(m["name"]),
                        rx.table.cell(rx.badge(m["status"], color_scheme=m["color"], variant="soft")),
                        rx.table.cell(m["uptime"], title=_("Uptime over 24 hours")),
                    ))),
                    size="1",
                    width="100%",
                    id="uptime-table",
                ),
                spacing="3",
                width="100%",
            ),
            style=styles.card,
            width="100%",
        ),
    )


@template("/", "Home", on_load=HomeState.on_load)
def home_page() -> rx.Component:
    return rx.vstack(notice(), rx.cond(HomeState.logged_in, _summary(), _visitor()), _uptime(), _home_content(),
                     spacing="6", width="100%")
