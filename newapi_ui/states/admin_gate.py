"""The role check every admin-page handler starts with: the session user, read fresh from the
database, must still hold the role. Someone logged out goes to the login page; someone demoted
meanwhile goes home with "Permission denied" (the login page would just send them back)."""

from __future__ import annotations

from typing import Any

import reflex as rx

from backend.models import User
from newapi_ui import backend_bridge
from newapi_ui.states.auth import HOME_ROUTE


class RoleGate(rx.State, mixin=True):
    """Mixed into an admin page state next to AuthState."""

    async def _require(self: Any, min_role: int) -> tuple[User | None, Any]:
        """(user, None) when allowed, else (None, the events that send the browser away)."""
        user = await backend_bridge.session_user(self.router.headers.cookie)
        self._remember(user)
        if user is None:
            return None, self._to_login()
        if user.role < min_role:
            return None, [rx.redirect(HOME_ROUTE, replace=True), rx.toast.error(self.tr("Permission denied"))]
        return user, None
