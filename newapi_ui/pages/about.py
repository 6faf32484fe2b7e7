"""/about (public): the administrator's About content (Markdown, HTML or a URL shown in a frame)."""

import reflex as rx

from newapi_ui.i18n import _
from newapi_ui.states.about import AboutState
from newapi_ui.template import template


@template("/about", "About", access="public", on_load=AboutState.on_load)
def about_page() -> rx.Component:
    return rx.vstack(
        rx.heading(_("About"), size="6"),
        rx.cond(
            AboutState.about == "",
            rx.callout(_("The administrator has not written an About page yet."), icon="info", id="about-empty"),
            rx.cond(
                AboutState.about_is_url,
                rx.el.iframe(src=AboutState.about, width="100%", height="700px", border="none", id="about-frame"),
                rx.box(rx.markdown(AboutState.about), width="100%", id="about-content"),
            ),
        ),
        spacing="4",
        width="100%",
    )
