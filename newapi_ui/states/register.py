"""Sign-up through `backend.services.users.register`; `?aff=` pre-fills the invitation code."""

from __future__ import annotations

import reflex as rx

from backend.services import users
from backend.services.errors import ServiceError
from newapi_ui import backend_bridge
from newapi_ui.states.auth import HOME_ROUTE, LOGIN_ROUTE, AuthState


class RegisterState(AuthState):
    busy: bool = False
    aff_code: str = ""

    @rx.event
    async def on_load(self):  # noqa: ANN201
        redirect = await self.guard_public()
        if redirect is not None:
            return redirect
        if self.user_id:
            return rx.redirect(HOME_ROUTE, replace=True)
        self.aff_code = str(self.router.page.params.get("aff", ""))[:32]
        return None

    @rx.event
    def set_aff_code(self, value: str) -> None:
        self.aff_code = value[:32]

    @rx.event
    async def submit(self, form: dict):  # noqa: ANN201
        password = str(form.get("password", ""))
        if password != str(form.get("confirm", "")):
            return rx.toast.error(self.tr("the two passwords do not match"))
        self.busy = True
        try:
            await backend_bridge.call(
                users.register,
                str(form.get("username", "")).strip(),
                password,
                str(form.get("email", "")).strip(),
                str(form.get("aff_code", "")).strip(),
            )
        except ServiceError as exc:
            return rx.toast.error(self.tr(exc.message))
        finally:
            self.busy = False
        return [rx.toast.success(self.tr("Account created: you can log in now")), rx.redirect(LOGIN_ROUTE)]
