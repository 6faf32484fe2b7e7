"""The account-security card of /setting: TOTP 2FA (set up with a QR code, backup codes shown
once, disable, new backup codes) through `backend.services.twofa`, and passkeys (listed and removed
through `backend.services.passkeys`, registered by the browser: `components/security_js.py`)."""

from __future__ import annotations

from typing import Any

import reflex as rx

from backend.services import passkey_settings, passkeys, twofa
from backend.services.errors import ServiceError
from newapi_ui import backend_bridge
from newapi_ui.components import security_js
from newapi_ui.i18n import N_
from newapi_ui.qr import svg_data_uri
from newapi_ui.states.auth import AuthState


class SecuritySettingsState(AuthState):
    twofa_enabled: bool = False
    twofa_locked: bool = False
    backup_remaining: int = 0
    setup_secret: str = ""  # during setup only
    setup_qr: str = ""
    shown_backup_codes: list[str] = []  # right after setup or regeneration, once
    passkeys_allowed: bool = False
    passkey_rows: list[dict[str, str]] = []
    working: str = ""

    def _read(self, user_id: int) -> None:
        status = twofa.status(user_id)
        self.twofa_enabled, self.twofa_locked = bool(status["enabled"]), bool(status["locked"])
        self.backup_remaining = int(status.get("backup_codes_remaining", 0))
        self.passkeys_allowed = passkey_settings.enabled()
        self.passkey_rows = [
            {"id": str(p["id"]), "label": (p["attachment"] or "passkey"),
             "created": (p["created_at"] or "")[:16].replace("T", " "),
             "used": (p["last_used_at"] or "")[:16].replace("T", " ")}
            for p in passkeys.status(user_id)["credentials"]
        ]

    @rx.event
    async def load(self):  # noqa: ANN201
        user = await self.current_user()
        if user is None:
            return self._to_login()
        await backend_bridge.call(self._read, user.id)
        return None

    async def _run(self, which: str, fn, *args: Any):  # noqa: ANN001, ANN202
        """Call a service for the signed-in user; a refusal becomes a translated toast."""
        user = await self.current_user()
        if user is None:
            return None, self._to_login()
        self.working = which
        try:
            result = await backend_bridge.call(fn, user.id, *args)
        except ServiceError as exc:
            return None, rx.toast.error(self.tr_error(exc))
        finally:
            self.working = ""
        await backend_bridge.call(self._read, user.id)
        return result, None

    @rx.event
    async def start_setup(self):  # noqa: ANN201
        result, refusal = await self._run("setup", twofa.setup)
        if refusal is not None:
            return refusal
        self.setup_secret = result["secret"]
        self.setup_qr = svg_data_uri(result["qr_code_data"])
        self.shown_backup_codes = list(result["backup_codes"])
        return None

    @rx.event
    async def confirm_setup(self, form: dict):  # noqa: ANN201
        _, refusal = await self._run("enable", twofa.enable, str(form.get("code", "")))
        if refusal is not None:
            return refusal
        self.setup_secret = self.setup_qr = ""
        return rx.toast.success(self.tr("Two-factor authentication is on"))

    @rx.event
    async def disable(self, form: dict):  # noqa: ANN201
        _, refusal = await self._run("disable", twofa.disable, str(form.get("code", "")))
        if refusal is not None:
            return refusal
        self.shown_backup_codes = []
        return rx.toast.success(self.tr("Two-factor authentication is off"))

    @rx.event
    async def regenerate(self, form: dict):  # noqa: ANN201
        codes, refusal = await self._run("regenerate", twofa.regenerate_backup_codes, str(form.get("code", "")))
        if refusal is not None:
            return refusal
        self.shown_backup_codes = list(codes)
        return None

    @rx.event
    def hide_backup_codes(self) -> None:
        self.shown_backup_codes = []

    @rx.event
    async def add_passkey(self):  # noqa: ANN201
        user = await self.current_user()
        if user is None:
            return self._to_login()
        self.working = "passkey"
        return rx.call_script(security_js.passkey_register_script(user.id or 0),
                              callback=SecuritySettingsState.passkey_added)

    @rx.event
    async def passkey_added(self, message: str):  # noqa: ANN201
        self.working = ""
        user = await self.current_user()
        if user is None:
            return self._to_login()
        await backend_bridge.call(self._read, user.id)
        if message:
            known = {"unsupported": N_("Passkeys are not supported by this browser"),
                     "cancelled": N_("The passkey request was cancelled"),
                     "failed": N_("passkey verification failed, please try again")}
            return rx.toast.error(self.tr(known.get(message, message)))
        return rx.toast.success(self.tr("Passkey added"))

    @rx.event
    async def remove_passkey(self, row_id: str):  # noqa: ANN201
        if not row_id.isdigit():
            return None
        _, refusal = await self._run("passkey", passkeys.delete_own, int(row_id))
        return refusal or rx.toast.success(self.tr("Passkey removed"))
