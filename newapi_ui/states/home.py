"""The home page: the site's HomePageContent for everyone, the account summary for a user."""

from __future__ import annotations

import reflex as rx

from backend.services import channels, options
from newapi_ui import backend_bridge
from newapi_ui.i18n import fmt_number
from newapi_ui.states.auth import AuthState


def _no_channel() -> bool:
    return int(channels.list_channels(1, 1)["total"]) == 0


class HomeState(AuthState):
    home_content: str = ""
    origin: str = ""  # the page's own origin, reported by the browser: the base URL clients use
    needs_channel: bool = False  # an admin on an instance with no channel yet

    @rx.event
    def set_origin(self, origin: str) -> None:
        if isinstance(origin, str) and origin.startswith(("http://", "https://")):
            self.origin = origin.rstrip("/")

    @rx.var
    def base_url(self) -> str:
        return f"{self.origin}/v1" if self.origin else ""

    @rx.var
    def wallet_empty(self) -> bool:
        return self.logged_in and self.quota <= 0

    @rx.event
    async def on_load(self):  # noqa: ANN201
        redirect = await self.guard_public()
        if redirect is not None:
            return redirect
        self.home_content = (await backend_bridge.call(options.get, "HomePageContent")).strip()
        self.needs_channel = self.is_admin and await backend_bridge.call(_no_channel)
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
