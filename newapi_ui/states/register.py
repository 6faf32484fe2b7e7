"""Sign-up through `backend.services.users.register`; `?aff=` pre-fills the invitation code."""

from __future__ import annotations

import reflex as rx

from backend.services import options, site_info, users, verification
from backend.services.errors import ServiceError
from newapi_ui import backend_bridge
from newapi_ui.components import turnstile
from newapi_ui.states.auth import HOME_ROUTE, LOGIN_ROUTE, AuthState
from newapi_ui.states.reset import critical_allowed


class RegisterState(AuthState):
    busy: bool = False
    aff_code: str = ""
    # EmailVerificationEnabled: the address is required and proven with a mailed code.
    email_verification: bool = False
    email: str = ""
    code_busy: bool = False
    # new-api's sign-up consent: shown (and required) when the root published either legal text.
    has_agreement: bool = False
    has_privacy: bool = False
    agreed: bool = False

    @rx.event
    async def on_load(self):  # noqa: ANN201
        self.busy = self.code_busy = False  # a reload must never inherit a spinner (server-side tab state)
        redirect = await self.guard_public()
        if redirect is not None:
            return redirect
        if self.user_id:
            return rx.redirect(HOME_ROUTE, replace=True)
        self.aff_code = str(self.router.page.params.get("aff", ""))[:32]
        self.email_verification = options.get_bool("EmailVerificationEnabled")
        self.has_agreement = bool(site_info.user_agreement().strip())
        self.has_privacy = bool(site_info.privacy_policy().strip())
        self.agreed = False
        return None

    @rx.var
    def needs_consent(self) -> bool:
        return self.has_agreement or self.has_privacy

    @rx.event
    def set_agreed(self, value: bool) -> None:
        self.agreed = bool(value)

    @rx.event
    def set_email(self, value: str) -> None:
        self.email = value[:254]

    @rx.event
    def send_code(self):  # noqa: ANN201
        """Reads the Turnstile token (if any) first: the check runs in `send_code_checked`."""
        return rx.call_script(turnstile.READ_TOKEN, callback=RegisterState.send_code_checked)

    @rx.event
    async def send_code_checked(self, token: str):  # noqa: ANN201
        email = self.email.strip()
        if not email:
            return rx.toast.error(self.tr("Enter your email address"))
        if (refused := await turnstile.refusal(str(token or ""), self.caller_ip())) is not None:
            return [rx.toast.error(self.tr(refused)), rx.call_script(turnstile.RESET)]
        if not await backend_bridge.call(critical_allowed, self.caller_ip()):
            return rx.toast.error(self.tr("too many requests, please try again later"))
        self.code_busy = True
        try:
            await verification.send_email_code(email)
        except ServiceError as exc:
            return rx.toast.error(self.tr(exc.message))
        finally:
            self.code_busy = False
        return [rx.toast.success(self.tr("Code sent: check your mailbox")), rx.call_script(turnstile.RESET)]

    @rx.event
    def set_aff_code(self, value: str) -> None:
        self.aff_code = value[:32]

    @rx.event
    async def submit(self, form: dict):  # noqa: ANN201
        password = str(form.get("password", ""))
        if self.needs_consent and not self.agreed:
            return rx.toast.error(self.tr("Please read and accept the terms first"))
        if password != str(form.get("confirm", "")):
            return rx.toast.error(self.tr("the two passwords do not match"))
        if (refused := await turnstile.refusal(str(form.get(turnstile.FIELD, "")), self.caller_ip())) is not None:
            return [rx.toast.error(self.tr(refused)), rx.call_script(turnstile.RESET)]
        self.busy = True
        try:
            await backend_bridge.call(
                users.register,
                str(form.get("username", "")).strip(),
                password,
                str(form.get("email", "")).strip(),
                str(form.get("aff_code", "")).strip(),
                str(form.get("verification_code", "")).strip(),
            )
        except ServiceError as exc:
            return rx.toast.error(self.tr(exc.message))
        finally:
            self.busy = False
        return [rx.toast.success(self.tr("Account created: you can log in now")), rx.redirect(LOGIN_ROUTE)]
