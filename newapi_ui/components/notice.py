"""The site notice (option `Notice`) as a dismissable callout; loads itself when shown."""

from __future__ import annotations

import reflex as rx

from newapi_ui.i18n import _
from newapi_ui.states.about import NoticeState


def notice() -> rx.Component:
    return rx.box(
        rx.cond(
            NoticeState.show,
            rx.callout.root(
                rx.hstack(
                    rx.callout.icon(rx.icon("megaphone", size=18)),
                    rx.box(rx.markdown(NoticeState.notice), flex="1", min_width="0"),
                    rx.icon_button(rx.icon("x", size=16), variant="ghost", size="1", on_click=NoticeState.dismiss,
                                   aria_label=_("Dismiss"), id="notice-dismiss"),
                    align="start",
                    width="100%",
                ),
                width="100%",
                id="site-notice",
            ),
        ),
        on_mount=NoticeState.load,
        width="100%",
    )
