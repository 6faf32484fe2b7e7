"""Who is using the console. The only credential is the HttpOnly `session` cookie, which page
scripts cannot read: the server sees it in the websocket handshake and re-checks the user in the
database on every guarded page and every data event, so a banned or deleted user is out at once."""

from __future__ import annotations

from typing import Any

import reflex as rx

from backend import client_ip
from backend.models import User
from backend.models.enums import Role
from backend.services import options
from newapi_ui import backend_bridge
from newapi_ui.i18n import MONEY_PLACES, fmt_quota
from newapi_ui.states.i18n import I18nState

LOGIN_ROUTE = "/login"
SETUP_ROUTE = "/setup"
HOME_ROUTE = "/"


class AuthState(I18nState):
    user_id: int = 0
    username: str = ""
    display_name: str = ""
    role: int = 0
    group: str = ""
    quota: int = 0
    used_quota: int = 0
    request_count: int = 0
    # Display settings of the instance, for formatting quota the way the admin chose.
    quota_per_unit: int = 500000
    display_in_currency: bool = True
    system_name: str = "New API"

    @rx.var
    def logged_in(self) -> bool:
        return self.user_id > 0

    @rx.var
    def is_admin(self) -> bool:
        return self.role >= Role.ADMIN

    @rx.var
    def is_root(self) -> bool:
        return self.role >= Role.ROOT

    @rx.var
    def user_label(self) -> str:
        return self.display_name or self.username

    def caller_ip(self) -> str:
        """The visitor's address for per-IP limits: Reflex's socket peer, or what a trusted proxy
        (TRUSTED_PROXIES) forwarded, by the same rule as the API."""
        return client_ip.from_headers(self.router.session.client_ip, self.router.headers.raw_headers)

    def fmt_quota(self, quota: int, places: int = MONEY_PLACES) -> str:
        return fmt_quota(quota, self.lang, per_unit=self.quota_per_unit, in_currency=self.display_in_currency,
                         places=places)

    def _remember(self, user: User | None) -> None:
        if user is None:
            self.user_id, self.username, self.display_name, self.role, self.group = 0, "", "", 0, ""
            self.quota = self.used_quota = self.request_count = 0
            return
        self.user_id = user.id or 0
        self.username, self.display_name = user.username, user.display_name
        self.role, self.group = user.role, user.group
        self.quota, self.used_quota, self.request_count = user.quota, user.used_quota, user.request_count

    def _load_site(self) -> None:
        self.quota_per_unit = options.get_int("QuotaPerUnit", 500000) or 500000
        self.display_in_currency = options.get_bool("DisplayInCurrencyEnabled")
        self.system_name = options.get("SystemName") or "New API"

    async def current_user(self, min_role: int = Role.COMMON) -> User | None:
        """The session's user if still enabled and allowed; every data-touching handler starts here."""
        user = await backend_bridge.session_user(self.router.headers.cookie)
        if user is not None and user.role < min_role:
            user = None
        self._remember(user)
        return user

    def _to_login(self):  # noqa: ANN202 - an event spec
        return rx.redirect(LOGIN_ROUTE, replace=True)

    @rx.event
    async def guard_public(self):  # noqa: ANN201
        """on_load of public pages: send a fresh instance to the wizard; learn the user if any."""
        if not await backend_bridge.is_initialised():
            return rx.redirect(SETUP_ROUTE, replace=True)
        await backend_bridge.call(self._load_site)
        await self.current_user()
        return None

    @rx.event
    async def guard_user(self):  # noqa: ANN201
        return await self._guard(Role.COMMON)

    @rx.event
    async def guard_admin(self):  # noqa: ANN201
        return await self._guard(Role.ADMIN)

    @rx.event
    async def guard_root(self):  # noqa: ANN201
        return await self._guard(Role.ROOT)

    async def _require(self, min_role: int) -> tuple[User | None, Any]:
        """The one role gate of the console: (user, None) when the session user, read fresh from the
        database, still holds `min_role`; else (None, the events that send the browser away).
        Someone logged out goes to the login page; someone demoted meanwhile goes home with
        "Permission denied" (the login page would just send them back)."""
        user = await backend_bridge.session_user(self.router.headers.cookie)
        self._remember(user)
        if user is None:
            return None, self._to_login()
        if user.role < min_role:
            return None, [rx.redirect(HOME_ROUTE, replace=True), rx.toast.error(self.tr("Permission denied"))]
        return user, None

    async def _admit(self, min_role: int) -> tuple[User | None, Any]:
        """on_load of a guarded page: the setup wizard on a fresh instance, then the role gate."""
        if not await backend_bridge.is_initialised():
            return None, rx.redirect(SETUP_ROUTE, replace=True)
        await backend_bridge.call(self._load_site)
        return await self._require(min_role)

    async def _guard(self, min_role: int):  # noqa: ANN202
        _user, away = await self._admit(min_role)
        return away

    @rx.event
    def logout(self):  # noqa: ANN201
        """The cookie is HttpOnly, so only the server can drop it: ask /api/user/logout, then reload
        so the websocket reconnects without it."""
        self._remember(None)
        return rx.call_script(
            "fetch('/api/user/logout', {credentials: 'same-origin'})"
            f".finally(() => window.location.assign('{LOGIN_ROUTE}'))"
        )
