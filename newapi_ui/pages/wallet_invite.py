"""The wallet's invitation card and its transfer dialog (used by pages/wallet.py)."""

from __future__ import annotations

import reflex as rx

from newapi_ui.components.crud import form_dialog
from newapi_ui.components.stats import stat_card, stat_grid
from newapi_ui.i18n import N_, _
from newapi_ui.states.wallet_invite import WalletInviteState as S


def _transfer_dialog() -> rx.Component:
    return form_dialog(
        N_("Move the rebate to the balance"),
        rx.text(_("Pending rebate"), ": ", rx.text.strong(S.pending_text), size="2"),
        rx.vstack(
            rx.text(_("Amount"), as_="label", custom_attrs={"htmlFor": "aff-transfer-amount"}, size="2",
                    weight="medium"),
            rx.input(value=S.transfer_amount, on_change=S.set_transfer_amount, id="aff-transfer-amount",
                     type="number", min="0", step="any", width="100%", size="3"),
            spacing="1", width="100%",
        ),
        open_=S.transfer_open,
        on_open_change=S.set_transfer_open,
        error=S.transfer_error,
        error_id="aff-transfer-error",
        save=rx.button(_("Transfer"), on_click=S.transfer, loading=S.transferring, id="aff-transfer-save"),
        cancel_id="aff-transfer-cancel",
        dialog_id="aff-transfer-dialog",
    )


def invite_card() -> rx.Component:
    """The link with its copy button, the three counters, and the transfer action."""
    return rx.card(
        rx.vstack(
            rx.heading(_("Invite friends"), as_="h2", size="4"),
            rx.text(_("Anyone who signs up through your link brings you a rebate."), size="2",
                    color_scheme="gray"),
            rx.flex(
                rx.input(value=S.invite_url, read_only=True, id="aff-link", aria_label=_("Invite link"),
                         flex="1", min_width="16em", size="3"),
                rx.button(rx.icon("copy", aria_hidden="true"), _("Copy"), on_click=S.copy_link, size="3",
                          variant="soft", id="aff-copy"),
                spacing="2", wrap="wrap", width="100%",
            ),
            stat_grid(
                stat_card(N_("Invited"), S.aff_count.to_string(), "users", "aff-count"),
                stat_card(N_("Pending rebate"), S.pending_text, "hourglass", "aff-pending"),
                stat_card(N_("Total earned"), S.earned_text, "gift", "aff-earned"),
            ),
            rx.button(_("Move to the balance"), on_click=S.open_transfer, disabled=S.aff_quota <= 0,
                      id="aff-transfer"),
            spacing="3", width="100%",
        ),
        width="100%",
        id="aff-card",
    )


def invite_section() -> rx.Component:
    return rx.fragment(invite_card(), _transfer_dialog())
