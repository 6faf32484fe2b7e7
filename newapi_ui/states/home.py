"""The home page: the site's HomePageContent for everyone, the account summary for a user, and the
Uptime Kuma status pages when the root switched them on (console_setting.uptime_kuma_*)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import reflex as rx

from backend.services import channels, options, uptime_kuma
from newapi_ui import backend_bridge
from newapi_ui.i18n import N_, fmt_number
from newapi_ui.states.auth import AuthState

UPTIME_ENABLED = "console_setting.uptime_kuma_enabled"
# Uptime Kuma's heartbeat states: 0 down, 1 up, 2 pending, 3 maintenance.
KUMA_STATUS = {0: (N_("Down"), "red"), 1: (N_("Up"), "green"), 2: (N_("Pending"), "amber"),
               3: (N_("Maintenance"), "blue")}


def uptime_rows(groups: list[dict[str, Any]], tr: Callable[[str], str]) -> list[dict[str, str]]:
    """Kuma's categories flattened to one row per monitor, its state named in the console's language."""
    rows = []
    for group in groups:
        for monitor in group.get("monitors", []):
            label, colour = KUMA_STATUS.get(int(monitor.get("status") or 0), KUMA_STATUS[0])
            rows.append({"category": str(group.get("categoryName") or ""), "name": str(monitor.get("name") or ""),
                         "status": tr(label), "color": colour, "uptime": f"{float(monitor.get('uptime') or 0) * 100:.2f}%"})
    return rows


def _no_channel() -> bool:
    return channels.list_channels(1, 1).total == 0


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
    uptime: list[dict[str, str]] = []

    @rx.event
    async def on_load(self):  # noqa: ANN201
        redirect = await self.guard_public()
        if redirect is not None:
            return redirect
        self.home_content = (await backend_bridge.call(options.get, "HomePageContent")).strip()
        self.needs_channel = self.is_admin and await backend_bridge.call(_no_channel)
        if options.get_bool(UPTIME_ENABLED) and uptime_kuma.configured_groups():
            return HomeState.load_uptime  # after the page shows: status pages may be slow
        self.uptime = []
        return None

    @rx.event
    async def load_uptime(self) -> None:
        self.uptime = uptime_rows(await uptime_kuma.status(), self.tr)

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
