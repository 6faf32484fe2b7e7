"""/token: the user's API keys (masked), one server-side page at a time."""

import reflex as rx

from newapi_ui.components.table import paged_table
from newapi_ui.i18n import N_, _
from newapi_ui.states.tokens import TokensState
from newapi_ui.template import template

COLUMNS = [
    ("name", N_("Name")),
    ("key", N_("Key")),
    ("status", N_("Status")),
    ("used", N_("Used")),
    ("remaining", N_("Remaining")),
    ("created", N_("Created")),
    ("expires", N_("Expires")),
]


@template("/token", "API keys", on_load=TokensState.load)
def tokens_page() -> rx.Component:
    return rx.vstack(
        rx.heading(_("API keys"), size="6"),
        paged_table(TokensState, COLUMNS, "tokens-table"),
        spacing="4",
        width="100%",
    )
