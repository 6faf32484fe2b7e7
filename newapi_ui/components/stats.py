"""Stat cards: an icon, a translated label and a value, laid out in a responsive grid."""

from __future__ import annotations

import reflex as rx

from newapi_ui import styles
from newapi_ui.i18n import _


def stat_card(label: str, value: rx.Var | str, icon: str, stat_id: str) -> rx.Component:
    """`label` is a msgid; the value element gets `stat_id` so tests can read it."""
    return rx.card(
        rx.hstack(
            rx.icon(icon, size=24, color=rx.color(styles.ACCENT, 10)),
            rx.vstack(
                rx.text(_(label), size="1", color_scheme="gray"),
                rx.text(value, size="5", weight="bold", id=stat_id),
                spacing="0",
                min_width="0",
            ),
            align="center",
            spacing="3",
        ),
        style=styles.card,
    )


def stat_grid(*cards: rx.Component) -> rx.Component:
    return rx.grid(*cards, columns=rx.breakpoints(initial="2", md="4"), spacing="3", width="100%")

