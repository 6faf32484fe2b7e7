"""Login. The browser posts the credentials to /api/user/login itself, because only an HTTP
response can set the HttpOnly session cookie; then it reloads so the websocket carries it."""

from __future__ import annotations

import json

import reflex as rx

from newapi_ui.states.auth import HOME_ROUTE, AuthState


def _login_script(username: str, password: str) -> str:
    body = json.dumps({"username": username, "password": password})
    return (
        "fetch('/api/user/login', {method: 'POST', credentials: 'same-origin', "
        f"headers: {{'Content-Type': 'application/json'}}, body: JSON.stringify({body})}})"
        ".then(r => r.json().catch(() => ({success: false, message: ''})))"
        f".then(j => {{ if (j.success) {{ window.location.assign('{HOME_ROUTE}'); return ''; }}"
        " return j.message || 'login failed'; })"
        ".catch(() => 'login failed')"
    )


class LoginState(AuthState):
    busy: bool = False

    @rx.event
    async def on_load(self):  # noqa: ANN201
        """An already logged-in user goes straight to the console."""
        redirect = await self.guard_public()
        if redirect is not None:
            return redirect
        return rx.redirect(HOME_ROUTE, replace=True) if self.user_id else None

    @rx.event
    def submit(self, form: dict):  # noqa: ANN201
        username = str(form.get("username", "")).strip()
        password = str(form.get("password", ""))
        if not username or not password:
            return rx.toast.error(self.tr("Enter your username and password"))
        self.busy = True
        return rx.call_script(_login_script(username, password), callback=LoginState.failed)

    @rx.event
    def failed(self, message: str):  # noqa: ANN201
        self.busy = False
        if not message:  # success: the page is already reloading
            return None
        if message == "login failed":  # the request itself failed: no message from the server
            return rx.toast.error(self.tr("Login failed"))
        return rx.toast.error(self.tr(message))
