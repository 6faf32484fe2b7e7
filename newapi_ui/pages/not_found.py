"""The page for an address no page serves (Reflex's 404 route), with the way back home."""

import reflex as rx

from newapi_ui.components.crud import page_heading
from newapi_ui.components.navbar import link_button
from newapi_ui.i18n import N_, _
from newapi_ui.template import template


@template("404", "Page not found", access="public")
def not_found_page() -> rx.Component:
    return rx.vstack(
        page_heading(N_("Page not found")),
        rx.text(_("There is no page at this address."), color_scheme="gray"),
        link_button(N_("Back to the home page"), "/", id="back-home"),
        spacing="4",
        id="not-found",
    )
