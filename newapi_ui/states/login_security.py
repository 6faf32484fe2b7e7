"""The login page's account-security steps: the 2FA code after a right password, "log in with a
passkey", and whether Turnstile and passkeys are on. The browser does the HTTP parts itself
(`components/security_js.py`), since only a response can set the HttpOnly session cookie."""

from __future__ import annotations

import reflex as rx

from backend.services import options, passkey_settings
from newapi_ui import backend_bridge
from newapi_ui.components import security_js
from newapi_ui.i18n import N_
from newapi_ui.states.auth import HOME_ROUTE, AuthState


def _site() -> tuple[bool, str, bool]:
    return (options.get_bool("TurnstileCheckEnabled"), options.get("TurnstileSiteKey"), passkey_settings.enabled())


class LoginSecurityState(AuthState):
    need_code: bool = False
    busy: bool = False
    turnstile_on: bool = False
    turnstile_site_key: str = ""
    passkey_on: bool = False

    @rx.event
    async def load(self) -> None:
        self.need_code = False
        self.busy = False  # a reload must never inherit a spinner from this tab's server-side state
        self.turnstile_on, self.turnstile_site_key, self.passkey_on = await backend_bridge.call(_site)

    @rx.event
    def ask_code(self):  # noqa: ANN201
        self.need_code = True
        return rx.toast.info(self.tr("Enter the code of your authenticator app or a backup code"))

    @rx.event
    def back(self) -> None:
        self.need_code = False

    @rx.event
    def submit_code(self, form: dict):  # noqa: ANN201
        code = str(form.get("code", "")).strip()
        if not code:
            return rx.toast.error(self.tr("Enter the code of your authenticator app or a backup code"))
        self.busy = True
        return rx.call_script(security_js.login_code_script(code, HOME_ROUTE), callback=LoginSecurityState.done)

    @rx.event
    def passkey_login(self):  # noqa: ANN201
        self.busy = True
        return rx.call_script(security_js.passkey_login_script(HOME_ROUTE), callback=LoginSecurityState.done)

    @rx.event
    def done(self, message: str):  # noqa: ANN201
        self.busy = False
        if not message:  # success: the page is already loading the console
            return None
        known = {"unsupported": N_("Passkeys are not supported by this browser"),
                 "cancelled": N_("The passkey request was cancelled"), "failed": N_("Login failed")}
        return rx.toast.error(self.tr(known.get(message, message)))
