"""/topup, online payment and check-in: presets or a custom amount with the live price, the method,
the redirect to the provider's page, the user's orders, and the month's check-in calendar.

Handlers call the same services as /api/user/pay, /api/user/stripe/pay and /api/user/checkin.
"""

from __future__ import annotations

import calendar
import json
import time
from typing import Any

import reflex as rx

from backend.models import User
from backend.services import checkins, epay, stripe_pay, topup_info, topups
from backend.services.errors import ServiceError
from newapi_ui import backend_bridge
from newapi_ui.i18n import N_
from newapi_ui.states.auth import AuthState

STATUS_LABELS = {"pending": N_("Pending"), "success": N_("Paid"), "expired": N_("Expired"), "failed": N_("Failed")}


def month_grid(year: int, month: int, done: set[str]) -> list[dict[str, str]]:
    """The month as calendar cells, Monday first: blanks before day 1, then each day and whether
    it was checked in (`done` holds YYYY-MM-DD dates)."""
    first_weekday, days = calendar.monthrange(year, month)
    cells = [{"day": "", "done": "", "date": ""} for _ in range(first_weekday)]
    for day in range(1, days + 1):
        date = f"{year:04d}-{month:02d}-{day:02d}"
        cells.append({"day": str(day), "done": "1" if date in done else "", "date": date})
    return cells


def submit_form_script(url: str, params: dict[str, str]) -> str:
    """JavaScript that posts the signed Epay form to the provider (a top-level navigation)."""
    return (
        "(() => { const f = document.createElement('form'); f.method = 'POST'; f.action = "
        + json.dumps(url) + "; const p = " + json.dumps(params)
        + "; for (const [k, v] of Object.entries(p)) { const i = document.createElement('input');"
        " i.type = 'hidden'; i.name = k; i.value = v; f.appendChild(i); } document.body.appendChild(f); f.submit(); })()"
    )


class WalletPayState(AuthState):
    online: bool = False
    methods: list[dict[str, str]] = []
    presets: list[str] = []
    amount: str = ""
    method: str = ""
    price: str = ""
    paying: bool = False
    orders: list[dict[str, str]] = []
    checkin_enabled: bool = False
    checked_today: bool = False
    checkin_cells: list[dict[str, str]] = []
    checkin_month: str = ""
    checkin_total: str = ""

    def _info(self, user: User) -> dict[str, Any]:
        info = topup_info.info()
        orders, _total = topups.list_user(user.id, "", 1, 10)
        stats = checkins.stats(user.id) if checkins.settings()["enabled"] else None
        return {"info": info, "orders": orders, "stats": stats}

    def _apply(self, got: dict[str, Any]) -> None:
        info = got["info"]
        self.methods = [{"type": str(m["type"]), "name": str(m.get("name") or m["type"])} for m in info["pay_methods"]]
        self.online = bool(self.methods)
        self.presets = [str(a) for a in info["amount_options"]]
        if self.method not in {m["type"] for m in self.methods}:
            self.method = self.methods[0]["type"] if self.methods else ""
        self.orders = [{
            "trade_no": o["trade_no"], "time": self.fmt_datetime(int(o["create_time"])), "amount": str(o["amount"]),
            "money": f"{o['money']:.2f}", "method": o["payment_method"],
            "status": self.tr(STATUS_LABELS.get(o["status"], o["status"])), "state": o["status"],
        } for o in got["orders"]]
        stats = got["stats"]
        self.checkin_enabled = stats is not None
        if stats is not None:
            today = time.localtime()
            done = {r["checkin_date"] for r in stats["stats"]["records"]}
            self.checkin_cells = month_grid(today.tm_year, today.tm_mon, done)
            self.checkin_month = time.strftime("%Y-%m")
            self.checked_today = bool(stats["stats"]["checked_in_today"])
            self.checkin_total = self.fmt_quota(int(stats["stats"]["total_quota"]))

    @rx.event
    async def on_load(self):  # noqa: ANN201
        user = await self.current_user()
        if user is None:
            return
        self._apply(await backend_bridge.call(self._info, user))
        return None

    async def _quote(self, user: User) -> None:
        try:
            amount = int(self.amount)
        except ValueError:
            self.price = ""
            return
        quote = stripe_pay.quote if self.method == "stripe" else epay.quote
        try:
            self.price = await backend_bridge.call(quote, user, amount)
        except ServiceError as exc:
            self.price = self.tr_error(exc)

    @rx.event
    async def set_amount(self, value: str):  # noqa: ANN201
        self.amount = value.strip()
        user = await self.current_user()
        if user is not None:
            await self._quote(user)

    @rx.event
    async def choose_method(self, value: str):  # noqa: ANN201
        self.method = value
        user = await self.current_user()
        if user is not None:
            await self._quote(user)

    @rx.event
    async def pay(self):  # noqa: ANN201
        user = await self.current_user()
        if user is None:
            return self._to_login()
        try:
            amount = int(self.amount)
        except ValueError:
            return rx.toast.error(self.tr("Enter a whole amount"))
        self.paying = True
        try:
            if self.method == "stripe":
                link = await backend_bridge.call(stripe_pay.checkout, user, amount, "stripe")
                return rx.redirect(link, is_external=True)
            bought = await backend_bridge.call(epay.purchase, user, amount, self.method)
            return rx.call_script(submit_form_script(bought.url, bought.params))
        except ServiceError as exc:
            return rx.toast.error(self.tr_error(exc))
        finally:
            self.paying = False

    @rx.event
    async def check_in(self):  # noqa: ANN201
        user = await self.current_user()
        if user is None:
            return self._to_login()
        try:
            got = await backend_bridge.call(checkins.check_in, user)
        except ServiceError as exc:
            return rx.toast.error(self.tr_error(exc))
        await self.current_user()  # the new balance
        self._apply(await backend_bridge.call(self._info, user))
        return rx.toast.success(f"{self.tr('Checked in')}: {self.fmt_quota(int(got['quota_awarded']))}")
