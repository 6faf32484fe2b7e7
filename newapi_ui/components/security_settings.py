"""The "Account security" card of /setting: 2FA and passkeys (state: `states/security_settings.py`)."""

from __future__ import annotations

import reflex as rx

from newapi_ui.i18n import N_, _
from newapi_ui.states.security_settings import SecuritySettingsState as S


def _code_form(button: str, on_submit, form_id: str, which: str,  # noqa: ANN001
               hint: str = N_("Verification code")) -> rx.Component:
    return rx.form(
        rx.hstack(
            rx.input(name="code", placeholder=_(hint), required=True, id=f"{form_id}-code",
                     auto_complete="one-time-code", flex="1"),
            rx.button(_(button), type="submit", loading=S.working == which, id=f"{form_id}-submit"),
            width="100%",
        ),
        on_submit=on_submit, reset_on_submit=True, id=form_id, width="100%",
    )


def _backup_codes() -> rx.Component:
    return rx.cond(
        S.shown_backup_codes.length() > 0,
        rx.callout.root(rx.vstack(
            rx.text(_("Backup codes: each works once. Keep them somewhere safe, they are shown only now."), size="2"),
            rx.grid(rx.foreach(S.shown_backup_codes, lambda c: rx.code(c)), columns="2", spacing="2",
                    id="backup-codes"),
            rx.button(_("I have saved them"), on_click=S.hide_backup_codes, size="1", variant="soft"),
            spacing="2",
        ), color_scheme="amber", width="100%"),
    )


def _twofa() -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.text(_("Two-factor authentication"), weight="medium"),
            rx.cond(S.twofa_enabled, rx.badge(_("On"), color_scheme="green", id="twofa-on"),
                    rx.badge(_("Off"), color_scheme="gray", id="twofa-off")),
            align="center",
        ),
        rx.cond(
            S.twofa_enabled,
            rx.vstack(
                rx.text(_("Backup codes left"), ": ", S.backup_remaining, size="2", color_scheme="gray"),
                _code_form(N_("Turn off 2FA"), S.disable, "twofa-disable", "disable",
                           N_("Code or backup code")),
                _code_form(N_("New backup codes"), S.regenerate, "twofa-regenerate", "regenerate"),
                spacing="2", width="100%",
            ),
            rx.cond(
                S.setup_secret != "",
                rx.vstack(
                    rx.text(_("Scan the QR code with an authenticator app, then enter its code."), size="2"),
                    rx.image(src=S.setup_qr, width="180px", height="180px", alt="QR", id="twofa-qr"),
                    rx.text(_("Or enter this key"), ": ", rx.code(S.setup_secret, id="twofa-secret"), size="1"),
                    _code_form(N_("Turn on 2FA"), S.confirm_setup, "twofa-enable", "enable"),
                    spacing="2", width="100%",
                ),
                rx.button(_("Set up 2FA"), on_click=S.start_setup, loading=S.working == "setup", variant="outline",
                          id="twofa-setup"),
            ),
        ),
        _backup_codes(),
        spacing="2", width="100%",
    )


def _passkeys() -> rx.Component:
    return rx.cond(
        S.passkeys_allowed,
        rx.vstack(
            rx.text(_("Passkeys"), weight="medium"),
            rx.foreach(S.passkey_rows, lambda p: rx.hstack(
                rx.icon("key-round", size=16), rx.text(p["label"], size="2"),
                rx.text(_("Added"), " ", p["created"], size="1", color_scheme="gray"),
                rx.spacer(),
                rx.icon_button(rx.icon("trash-2", size=14), on_click=S.remove_passkey(p["id"]), variant="ghost",
                               color_scheme="red", aria_label=_("Delete"), id="remove-passkey-" + p["id"]),
                width="100%", align="center",
            )),
            rx.button(rx.icon("plus", size=16), _("Add a passkey"), on_click=S.add_passkey,
                      loading=S.working == "passkey", variant="outline", id="add-passkey"),
            spacing="2", width="100%",
        ),
    )


def security_card() -> rx.Component:
    return rx.card(
        rx.vstack(rx.heading(_("Account security"), as_="h2", size="4"), _twofa(), rx.separator(size="4"), _passkeys(),
                  spacing="3", width="100%"),
        width="100%", id="account-security", on_mount=S.load,
    )
