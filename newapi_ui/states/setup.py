"""The first-run wizard: create root through `backend.services.setup`, once."""

from __future__ import annotations

import reflex as rx

from backend.services import setup
from backend.services.errors import ServiceError
from newapi_ui import backend_bridge
from newapi_ui.states.auth import LOGIN_ROUTE, AuthState


class SetupState(AuthState):
    busy: bool = False
    database_type: str = ""

    @rx.event
    async def on_load(self):  # noqa: ANN201
        self.busy = False  # a reload must never inherit a spinner from this tab's server-side state
        if await backend_bridge.is_initialised():
            return rx.redirect(LOGIN_ROUTE, replace=True)
        self.database_type = (await backend_bridge.call(setup.state))["database_type"]
        return None

    @rx.event
    async def submit(self, form: dict):  # noqa: ANN201
        self.busy = True
        try:
            await backend_bridge.call(
                setup.initialise,
                str(form.get("username", "")).strip(),
                str(form.get("password", "")),
                str(form.get("confirm", "")),
                bool(form.get("self_use")),
                bool(form.get("demo")),
            )
        except ServiceError as exc:
            return rx.toast.error(self.tr_error(exc))
        finally:
            self.busy = False
        await backend_bridge.is_initialised()
        return [rx.toast.success(self.tr("Setup complete: log in as root")), rx.redirect(LOGIN_ROUTE, replace=True)]
