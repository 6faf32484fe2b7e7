"""Password reset (ask for a link on /reset, use it on /user/reset) and the sign-up code mail,
through `backend.services.verification`. These handlers send mail, so they count against the
same per-IP critical limit as the `/api` routes that do the same."""

from __future__ import annotations

import reflex as rx

from backend.config import get_settings
from backend.services import ratelimit, verification
from backend.services.errors import ServiceError
from newapi_ui import backend_bridge
from newapi_ui.components import turnstile
from newapi_ui.states.auth import AuthState


def critical_allowed(ip: str) -> bool:
    """Count one hit against the per-IP critical limit (the one `/api/reset_password` uses)."""
    s = get_settings()
    if not s.CRITICAL_RATE_LIMIT_ENABLE:
        return True
    return ratelimit.allow("CT", ip or "unknown", s.CRITICAL_RATE_LIMIT, s.CRITICAL_RATE_LIMIT_DURATION)


class ResetRequestState(AuthState):
    busy: bool = False
    sent: bool = False

    @rx.event
    async def on_load(self):  # noqa: ANN201
        self.sent = False
        self.busy = False  # a reload must never inherit a spinner from this tab's server-side state
        return await self.guard_public()

    @rx.event
    async def submit(self, form: dict):  # noqa: ANN201
        email = str(form.get("email", "")).strip()
        if not email:
            return rx.toast.error(self.tr("Enter your email address"))
        if not await backend_bridge.call(critical_allowed, self.caller_ip()):
            return rx.toast.error(self.tr("too many requests, please try again later"))
        if (refused := await turnstile.refusal(str(form.get(turnstile.FIELD, "")), self.caller_ip())) is not None:
            return [rx.toast.error(self.tr(refused)), rx.call_script(turnstile.RESET)]
        self.busy = True
        try:
            await verification.request_password_reset(email)
        except ServiceError as exc:
            return rx.toast.error(self.tr_error(exc))
        finally:
            self.busy = False
        self.sent = True
        return None


class ResetConfirmState(AuthState):
    busy: bool = False
    email: str = ""
    token: str = ""
    new_password: str = ""

    @rx.event
    async def on_load(self):  # noqa: ANN201
        self.busy = False  # a reload must never inherit a spinner from this tab's server-side state
        params = self.router.page.params
        self.email = str(params.get("email", ""))[:254]
        self.token = str(params.get("token", ""))[:64]
        self.new_password = ""
        return await self.guard_public()

    @rx.event
    async def confirm(self):  # noqa: ANN201
        if not self.email or not self.token:
            return rx.toast.error(self.tr("the reset link is invalid or has expired"))
        if not await backend_bridge.call(critical_allowed, self.caller_ip()):
            return rx.toast.error(self.tr("too many requests, please try again later"))
        self.busy = True
        try:
            self.new_password = await backend_bridge.call(verification.reset_password, self.email, self.token)
        except ServiceError as exc:
            return rx.toast.error(self.tr_error(exc))
        finally:
            self.busy = False
        self.token = ""
        return None

    @rx.event
    def copy_password(self):  # noqa: ANN201
        return [rx.set_clipboard(self.new_password), rx.toast.success(self.tr("Copied"))]
