"""/user-agreement and /privacy-policy (public): the site's legal texts (one layout, two routes)."""

import reflex as rx

from newapi_ui.i18n import _
from newapi_ui.states.legal import LegalState as S
from newapi_ui.template import template


def _text(title: rx.Component) -> rx.Component:
    return rx.vstack(
        title,
        rx.cond(
            S.content == "",
            rx.callout(_("The administrator has not published this text."), icon="info", id="legal-empty"),
            rx.cond(
                S.content_is_url,
                rx.el.iframe(src=S.content, width="100%", height="700px", border="none", id="legal-frame"),
                rx.box(rx.markdown(S.content), width="100%", id="legal-content"),
            ),
        ),
        spacing="4",
        width="100%",
    )


@template("/user-agreement", "User agreement", access="public", on_load=S.on_load)
def user_agreement_page() -> rx.Component:
    return _text(rx.heading(_("User agreement"), size="6"))


@template("/privacy-policy", "Privacy policy", access="public", on_load=S.on_load)
def privacy_policy_page() -> rx.Component:
    return _text(rx.heading(_("Privacy policy"), size="6"))
