"""/pricing (public): the price list from `backend.services.pricing` for one group, searchable."""

from __future__ import annotations

from decimal import Decimal

import reflex as rx

from backend.services import groups, pricing
from newapi_ui import backend_bridge
from newapi_ui.i18n import N_, fmt_money, fmt_number
from newapi_ui.states.auth import AuthState

BY_TOKENS = N_("Per token")
PER_CALL = N_("Per call")
NOT_PRICED = N_("Not priced")


def _load(group: str, user_group: str | None) -> tuple[list[str], list[pricing.ModelPrice]]:
    return groups.all_groups(), pricing.price_list(group, user_group)


class PricingState(AuthState):
    price_group: str = ""  # the group whose prices are shown (AuthState.group is the user's own)
    search: str = ""
    groups: list[str] = []
    _prices: list[pricing.ModelPrice] = []

    @rx.event
    async def on_load(self):  # noqa: ANN201
        redirect = await self.guard_public()
        if redirect is not None:
            return redirect
        await self._refresh()
        return None

    async def _refresh(self) -> None:
        user = await self.current_user()
        if not self.price_group:
            self.price_group = user.group if user is not None and user.group else "default"
        all_groups, prices = await backend_bridge.call(_load, self.price_group, user.group if user else None)
        self.groups = all_groups if self.price_group in all_groups else sorted({*all_groups, self.price_group})
        self._prices = prices

    @rx.event
    async def set_price_group(self, value: str):  # noqa: ANN201
        self.price_group = value
        await self._refresh()

    @rx.event
    def set_search(self, value: str) -> None:
        self.search = value

    def _money(self, value: Decimal | None) -> str:
        return "" if value is None else fmt_money(value, self.lang)

    @rx.var(cache=False)
    def rows(self) -> list[dict[str, str]]:
        needle = self.search.strip().lower()
        out = []
        for p in self._prices:
            if self.price_group not in p.enable_groups or needle and needle not in p.model_name.lower():
                continue
            kind = NOT_PRICED if not p.priced else PER_CALL if p.quota_type == 1 else BY_TOKENS
            out.append({
                "model": p.model_name,
                "kind": self.tr(kind),
                "input": self._money(p.input_per_million),
                "output": self._money(p.output_per_million),
                "call": self._money(p.per_call),
                "ratio": "" if p.model_ratio is None or p.quota_type == 1 else fmt_number(p.model_ratio, self.lang),
                "completion": "" if p.quota_type == 1 or p.model_ratio is None
                else fmt_number(p.completion_ratio, self.lang),
                "groups": ", ".join(p.enable_groups),
            })
        return out
