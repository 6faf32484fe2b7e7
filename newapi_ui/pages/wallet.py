"""/topup: balance, online top-up, check-in, redeem a code, invite friends, orders and the history of top-ups."""

import reflex as rx

from newapi_ui.components.stats import stat_card, stat_grid
from newapi_ui.components.table import data_table
from newapi_ui.i18n import N_, _
from newapi_ui.pages.wallet_invite import invite_section
from newapi_ui.pages.wallet_pay import checkin_card, online_topup, orders
from newapi_ui.states.wallet import WalletState
from newapi_ui.states.wallet_invite import WalletInviteState
from newapi_ui.states.wallet_pay import WalletPayState
from newapi_ui.template import template

HISTORY_COLUMNS = [("time", N_("Time")), ("content", N_("Details"))]


def _redeem() -> rx.Component:
    return rx.card(
        rx.form(
            rx.vstack(
                rx.text(_("Redeem a code"), weight="medium"),
                rx.flex(
                    rx.input(name="redeem_key", id="redeem_key", placeholder=_("Redemption code"), size="3",
                             aria_label=_("Redemption code"),
                             flex="1", min_width="14em", auto_complete="off"),
                    rx.button(_("Redeem"), type="submit", size="3", loading=WalletState.redeeming, id="redeem"),
                    spacing="2",
                    wrap="wrap",
                    width="100%",
                ),
                rx.cond(
                    WalletState.top_up_link != "",
                    rx.link(_("Buy a redemption code"), href=WalletState.top_up_link, is_external=True,
                            id="top-up-link"),
                ),
                spacing="3",
                width="100%",
            ),
            on_submit=WalletState.redeem,
            reset_on_submit=False,
            width="100%",
        ),
        width="100%",
    )


@template("/topup", "Wallet", on_load=[WalletState.on_load, WalletPayState.on_load, WalletInviteState.on_load])
def wallet_page() -> rx.Component:
    return rx.vstack(
        rx.heading(_("Wallet"), size="6"),
        stat_grid(
            stat_card(N_("Balance"), WalletState.balance_text, "wallet", "wallet-balance"),
            stat_card(N_("Used"), WalletState.used_text, "chart-no-axes-column", "wallet-used"),
        ),
        online_topup(),
        checkin_card(),
        _redeem(),
        invite_section(),
        orders(),
        rx.heading(_("Top-up history"), as_="h2", size="4"),
        data_table(WalletState, HISTORY_COLUMNS, "topup-table"),
        spacing="4",
        width="100%",
    )
