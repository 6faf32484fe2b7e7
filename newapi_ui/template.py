"""`@template(...)` declares a page and wraps it in the console frame; newapi_ui.py adds them all.

The frame is the sidebar (wide screens), the top bar and the content column. Every page gets an
on_load guard: `public` pages only redirect to the setup wizard on a fresh instance, `user`,
`admin` and `root` pages also send a missing or disabled session to /login.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import reflex as rx

from newapi_ui import styles
from newapi_ui.components.navbar import navbar
from newapi_ui.components.sidebar import sidebar
from newapi_ui.states.auth import AuthState
from newapi_ui.states.i18n import I18nState

# The page reports the browser's time zone once per mount, so dates can be shown in it, and gets
# `<html lang>` set to the console's language (screen readers and fonts follow it).
_ON_MOUNT = [rx.call_script("Intl.DateTimeFormat().resolvedOptions().timeZone", callback=I18nState.set_time_zone),
             I18nState.sync_html_lang]

Access = Literal["public", "user", "admin", "root"]
_GUARDS = {
    "public": AuthState.guard_public,
    "user": AuthState.guard_user,
    "admin": AuthState.guard_admin,
    "root": AuthState.guard_root,
}


@dataclass(frozen=True)
class PageSpec:
    route: str
    title: str
    render: Callable[[], rx.Component]
    on_load: Any


PAGES: list[PageSpec] = []


def frame(content: rx.Component) -> rx.Component:
    """Landmarks: the sidebar's <nav>, the top bar's <header>, the page's <main>."""
    return rx.hstack(
        sidebar(),
        rx.vstack(navbar(), rx.el.main(content, style=styles.content), spacing="0", width="100%", min_width="0"),
        spacing="0",
        align="start",
        width="100%",
        min_height="100vh",
        custom_attrs={"lang": I18nState.lang_tag},
        on_mount=_ON_MOUNT,
        id="frame",
    )


def bare(content: rx.Component) -> rx.Component:
    """Setup, login and sign-up: a centred card under the top bar, no sidebar."""
    return rx.vstack(
        navbar(),
        rx.el.main(rx.center(content, width="100%", padding=["1em", "2em"]), width="100%"),
        spacing="0",
        width="100%",
        min_height="100vh",
        custom_attrs={"lang": I18nState.lang_tag},
        on_mount=_ON_MOUNT,
        id="frame",
    )


def template(
    route: str, title: str, *, access: Access = "user", on_load: rx.EventHandler | None = None,
    chrome: Literal["frame", "bare"] = "frame",
) -> Callable[[Callable[[], rx.Component]], Callable[[], rx.Component]]:
    """`on_load`, when given, replaces the access guard: it must do the guarding itself
    (page states call `guard_public` / `current_user` first)."""
    def decorator(page_content: Callable[[], rx.Component]) -> Callable[[], rx.Component]:
        wrap = frame if chrome == "frame" else bare

        def page() -> rx.Component:
            return wrap(page_content())

        page.__name__ = page_content.__name__
        PAGES.append(PageSpec(route, title, page, on_load or _GUARDS[access]))
        return page

    return decorator
