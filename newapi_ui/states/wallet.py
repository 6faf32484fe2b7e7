"""/topup: the balance, redeeming a code (the same `redemptions.redeem` as POST /api/user/topup) and the
user's quota history (their top-up log rows, one server page at a time)."""

from __future__ import annotations

from typing import Any

import reflex as rx

from backend.models import User
from backend.models.enums import LogType
from backend.services import log_queries, options, redemptions
from backend.services.errors import ServiceError
from backend.services.log_queries import LogFilter
from newapi_ui import backend_bridge
from newapi_ui.states.auth import AuthState
from newapi_ui.states.paging import PagedState


class WalletState(PagedState, AuthState):
    redeeming: bool = False
    top_up_link: str = ""
    last_credit: str = ""

    @rx.var(cache=False)
    def balance_text(self) -> str:
        return self.fmt_quota(self.quota)

    @rx.var(cache=False)
    def used_text(self) -> str:
        return self.fmt_quota(self.used_quota)

    def _fetch(self, user: User, p: int, page_size: int) -> tuple[list[dict[str, Any]], int]:
        rows, total = log_queries.page(LogFilter(user_id=user.id, type=int(LogType.TOPUP)), p, page_size, admin=False)
        return [r.model_dump() for r in rows], total

    def _format(self, row: dict[str, Any]) -> dict[str, str]:
        return {
            "time": self.fmt_datetime(int(row["created_at"])),
            "content": row["content"],
        }

    @rx.event
    async def on_load(self):  # noqa: ANN201
        redirect = await self.guard_user()
        if redirect is not None:
            return redirect
        self.top_up_link = (await backend_bridge.call(options.get, "TopUpLink")).strip()
        return await self._load()

    @rx.event
    async def redeem(self, form: dict[str, Any]):  # noqa: ANN201
        user = await self.current_user()
        if user is None:
            return self._to_login()
        self.redeeming = True
        try:
            quota = await backend_bridge.call(redemptions.redeem, user, str(form.get("redeem_key") or ""))
        except ServiceError as exc:
            return rx.toast.error(self.tr_error(exc))
        finally:
            self.redeeming = False
        await self.current_user()  # the new balance
        self.page = 1
        self.last_credit = self.fmt_quota(quota)
        await self._load()
        return [rx.set_value("redeem_key", ""), rx.toast.success(f"{self.tr('Redeemed')}: {self.last_credit}")]
