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
    NavItem("/detail", N_("Dashboard"), "layout-dashboard", Role.COMMON),
    NavItem("/token", N_("API keys"), "key-round", Role.COMMON),
    NavItem("/log", N_("Logs"), "scroll-text", Role.COMMON),
    NavItem("/midjourney", N_("Drawing logs"), "image", Role.COMMON),
    NavItem("/task", N_("Task logs"), "list-video", Role.COMMON),
    NavItem("/playground", N_("Playground"), "message-square", Role.COMMON),
    NavItem("/topup", N_("Wallet"), "wallet", Role.COMMON),
    NavItem("/setting", N_("Personal settings"), "user-cog", Role.COMMON),
    NavItem("/pricing", N_("Pricing"), "tag"),
    NavItem("/about", N_("About"), "info"),
    NavItem("/channel", N_("Channels"), "network", Role.ADMIN),
    NavItem("/user", N_("Users"), "users", Role.ADMIN),
    NavItem("/redemption", N_("Redemption codes"), "ticket", Role.ADMIN),
    NavItem("/models", N_("Models"), "box", Role.ADMIN),
    NavItem("/vendors", N_("Vendors"), "building-2", Role.ADMIN),
    NavItem("/prefill_groups", N_("Prefill groups"), "list-tree", Role.ADMIN),
    NavItem("/admin/orders", N_("Orders"), "receipt", Role.ADMIN),
    NavItem("/admin/plans", N_("Subscription plans"), "calendar-check", Role.ADMIN),
    NavItem("/admin/settings", N_("Settings"), "settings", Role.ROOT),
    NavItem("/ratio_sync", N_("Ratio sync"), "arrow-left-right", Role.ROOT),
    NavItem("/performance", N_("Performance"), "gauge", Role.ROOT),
)
