"""The home page: the site's HomePageContent for everyone, the account summary for a user."""

from __future__ import annotations

import reflex as rx

from backend.services import options
from newapi_ui import backend_bridge
from newapi_ui.i18n import fmt_number
from newapi_ui.states.auth import AuthState


class HomeState(AuthState):
    home_content: str = ""

    @rx.event
    async def on_load(self):  # noqa: ANN201
        redirect = await self.guard_public()
        if redirect is not None:
            return redirect
        self.home_content = (await backend_bridge.call(options.get, "HomePageContent")).strip()
        return None

    @rx.var
    def home_is_url(self) -> bool:
        return self.home_content.startswith(("https://", "http://"))

    @rx.var(cache=False)
    def balance_text(self) -> str:
        return self.fmt_quota(self.quota)

    @rx.var(cache=False)
    def used_text(self) -> str:
        return self.fmt_quota(self.used_quota)

    @rx.var(cache=False)
    def requests_text(self) -> str:
        return fmt_number(self.request_count, self.lang)
