"""/user's "Sign-in & security" dialog and the 2FA adoption line (state: `states/user_security.py`)."""

from __future__ import annotations

import reflex as rx

from newapi_ui.components.confirm import confirm_dialog
from newapi_ui.i18n import _
from newapi_ui.states.user_security import UserSecurityState as S


def _binding(b: rx.Var) -> rx.Component:
    return rx.hstack(
        rx.text(b["name"], weight="medium", size="2", min_width="7em"),
        rx.code(b["bound"]),
        rx.spacer(),
        rx.button(_("Unbind"), size="1", variant="soft", color_scheme="red", on_click=S.unbind(b["kind"], b["id"]),
                  id="us-unbind-" + b["kind"].to(str) + b["id"].to(str)),
        align="center", width="100%",
    )


def twofa_stats() -> rx.Component:
    return rx.text(_("Users with 2FA"), ": ", rx.text.strong(S.twofa_users, id="us-twofa-users"), " (",
                   rx.text.span(S.twofa_rate, id="us-twofa-rate"), ")", size="2", color_scheme="gray",
                   on_mount=S.load_stats)


def security_dialog() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title(_("Sign-in & security"), " ", S.target_name),
            rx.vstack(
                rx.text(_("Linked accounts"), weight="medium"),
                rx.cond(S.bindings.length() > 0, rx.vstack(rx.foreach(S.bindings, _binding), width="100%",
                                                           id="us-bindings"),
                        rx.text(_("No linked accounts"), size="2", color_scheme="gray", id="us-no-bindings")),
                rx.separator(size="4"),
                rx.hstack(
                    rx.text(_("Two-factor authentication"), weight="medium"),
                    rx.cond(S.twofa_on, rx.badge(_("On"), color_scheme="green", id="us-twofa-on"),
                            rx.badge(_("Off"), color_scheme="gray", id="us-twofa-off")),
                    rx.spacer(),
                    rx.button(_("Reset 2FA"), size="1", variant="soft", color_scheme="red", on_click=S.ask_reset("twofa"),
                              disabled=~S.twofa_on, id="us-reset-twofa"),
                    align="center", width="100%",
                ),
                rx.hstack(
                    rx.text(_("Passkeys"), weight="medium"),
                    rx.badge(S.passkey_count, id="us-passkeys"),
                    rx.spacer(),
                    rx.button(_("Remove passkeys"), size="1", variant="soft", color_scheme="red",
                              on_click=S.ask_reset("passkeys"), disabled=S.passkey_count == 0, id="us-reset-passkeys"),
                    align="center", width="100%",
                ),
                rx.hstack(rx.dialog.close(rx.button(_("Close"), variant="soft", color_scheme="gray", id="us-close")),
                          justify="end", width="100%"),
                confirm_dialog(S.confirm_open, S.confirm_message, S.confirm_reset, S.cancel_reset, "us-confirm"),
                spacing="3", width="100%",
            ),
            max_width="32em",
        ),
        open=S.dialog_open,
        on_open_change=S.set_open,
    )
