"""The console's pages as the navigation shows them, with the least role that may open each."""

from __future__ import annotations

from dataclasses import dataclass

from backend.models.enums import Role
from newapi_ui.i18n import N_


@dataclass(frozen=True)
class NavItem:
    route: str
    label: str  # msgid
    icon: str  # lucide icon name
    min_role: int = Role.GUEST  # GUEST: shown to everyone, logged in or not


NAV_ITEMS: tuple[NavItem, ...] = (
    NavItem("/", N_("Home"), "house"),
    NavItem("/token", N_("API keys"), "key-round", Role.COMMON),
)
