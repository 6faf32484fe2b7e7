"""/user-agreement and /privacy-policy (public): the texts the root wrote in the `legal.*` options
(Markdown, or a URL shown in a frame), linked from the sign-up form."""

from __future__ import annotations

import reflex as rx

from backend.services import site_info
from newapi_ui import backend_bridge
from newapi_ui.states.about import is_url
from newapi_ui.states.auth import AuthState

PAGES = {"/user-agreement": site_info.user_agreement, "/privacy-policy": site_info.privacy_policy}


class LegalState(AuthState):
    content: str = ""

    @rx.event
    async def on_load(self):  # noqa: ANN201
        redirect = await self.guard_public()
        if redirect is not None:
            return redirect
        read = PAGES.get(self.router.url.path.rstrip("/") or "/", site_info.user_agreement)
        self.content = (await backend_bridge.call(read)).strip()
        return None

    @rx.var
    def content_is_url(self) -> bool:
        return is_url(self.content)
