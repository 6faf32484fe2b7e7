"""Login. The browser posts the credentials to /api/user/login itself, because only an HTTP
response can set the HttpOnly session cookie; then it reloads so the websocket carries it."""

from __future__ import annotations

import reflex as rx

from newapi_ui.components.security_js import login_script
from newapi_ui.states.auth import HOME_ROUTE, AuthState
from newapi_ui.states.login_security import LoginSecurityState


class LoginState(AuthState):
    busy: bool = False

    @rx.event
    async def on_load(self):  # noqa: ANN201
        """An already logged-in user goes straight to the console."""
        self.busy = False  # a reload must never inherit a spinner from this tab's server-side state
        redirect = await self.guard_public()
        if redirect is not None:
            return redirect
        return rx.redirect(HOME_ROUTE, replace=True) if self.user_id else LoginSecurityState.load

    @rx.event
    def submit(self, form: dict):  # noqa: ANN201
        username = str(form.get("username", "")).strip()
        password = str(form.get("password", ""))
        if not username or not password:
            return rx.toast.error(self.tr("Enter your username and password"))
        self.busy = True
        return rx.call_script(login_script(username, password, HOME_ROUTE), callback=LoginState.failed)

    @rx.event
    def failed(self, message: str):  # noqa: ANN201
        self.busy = False
        if not message:  # success: the page is already reloading
            return None
        if message == "2fa":  # the password was right; the second factor comes next
            return LoginSecurityState.ask_code
        if message == "failed":  # the request itself failed: no message from the server
            return rx.toast.error(self.tr("Login failed"))
        return rx.toast.error(self.tr(message))
