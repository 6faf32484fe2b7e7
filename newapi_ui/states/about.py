"""/about and the site notice: admin-written content from the `About` and `Notice` options.

Content is Markdown (raw HTML allowed, as in new-api) or, for About, a URL shown in an iframe. The
notice can be dismissed; the browser remembers which text it dismissed, so an edited notice shows again.
"""

from __future__ import annotations

import hashlib

import reflex as rx

from backend.services import options
from newapi_ui import backend_bridge
from newapi_ui.states.auth import AuthState
from newapi_ui.states.i18n import I18nState


def is_url(text: str) -> bool:
    return text.startswith(("https://", "http://"))


class AboutState(AuthState):
    about: str = ""

    @rx.event
    async def on_load(self):  # noqa: ANN201
        redirect = await self.guard_public()
        if redirect is not None:
            return redirect
        self.about = (await backend_bridge.call(options.get, "About")).strip()
        return None

    @rx.var
    def about_is_url(self) -> bool:
        return is_url(self.about)


class NoticeState(I18nState):
    notice: str = ""
    dismissed: str = rx.LocalStorage("", name="notice_dismissed")

    @rx.var
    def notice_id(self) -> str:
        return hashlib.sha256(self.notice.encode()).hexdigest()[:16] if self.notice else ""

    @rx.var
    def show(self) -> bool:
        return self.notice != "" and self.dismissed != self.notice_id

    @rx.event
    async def load(self) -> None:
        self.notice = (await backend_bridge.call(options.get, "Notice")).strip()

    @rx.event
    def dismiss(self) -> None:
        self.dismissed = self.notice_id
