"""/admin/plans (admins): subscription plans through `backend.services.subscriptions` (the rules of
`/api/subscription/admin/plans`): list, create, edit, enable and disable. new-api has no route that
deletes a plan (users may hold it); a plan is retired by disabling it."""

from __future__ import annotations

from typing import Any

import reflex as rx

from backend.models.enums import Role
from backend.services import subscriptions
from backend.services.errors import ServiceError
from newapi_ui import backend_bridge
from newapi_ui.i18n import N_
from newapi_ui.states.auth import AuthState
from newapi_ui.states.dialog_form import DialogForm

# Text fields of the form: (field, label msgid, hint msgid, input type).
TEXT_FIELDS: tuple[tuple[str, str, str, str], ...] = (
    ("title", N_("Title"), "", "text"),
    ("subtitle", N_("Subtitle"), "", "text"),
    ("price_amount", N_("Price (US$)"), "", "number"),
    ("duration_value", N_("Duration"), N_("In the unit chosen below"), "number"),
    ("custom_seconds", N_("Custom duration (seconds)"), N_("Only for the custom unit"), "number"),
    ("total_amount", N_("Quota"), N_("In quota units (500000 = $1)"), "number"),
    ("quota_reset_custom_seconds", N_("Custom reset period (seconds)"), N_("Only for the custom period; at least 60"),
     "number"),
    ("upgrade_group", N_("Upgrade to group"), N_("Empty: the user's group is kept"), "text"),
    ("max_purchase_per_user", N_("Purchases per user"), N_("0: no limit"), "number"),
    ("sort_order", N_("Sort order"), N_("Higher first"), "number"),
    ("stripe_price_id", N_("Stripe price ID"), "", "text"),
    ("creem_product_id", N_("Creem product ID"), "", "text"),
)
NUMBER_FIELDS = {f for f, _l, _h, kind in TEXT_FIELDS if kind == "number"}
DURATION_UNITS = {"year": N_("Years"), "month": N_("Months"), "day": N_("Days"), "hour": N_("Hours"),
                  "custom": N_("Custom")}
RESET_PERIODS = {"never": N_("Never"), "daily": N_("Daily"), "weekly": N_("Weekly"), "monthly": N_("Monthly"),
                 "custom": N_("Custom")}
assert tuple(DURATION_UNITS) == subscriptions.DURATION_UNITS and tuple(RESET_PERIODS) == subscriptions.RESET_PERIODS
_BLANK = {f: "" for f, _l, _h, _k in TEXT_FIELDS} | {"price_amount": "0", "duration_value": "1",
                                                     "custom_seconds": "0", "total_amount": "0",
                                                     "quota_reset_custom_seconds": "0",
                                                     "max_purchase_per_user": "0", "sort_order": "0"}


def form_of(plan: dict[str, Any]) -> dict[str, str]:
    return {f: str(plan.get(f) if plan.get(f) is not None else "") for f in _BLANK}


def body_of(form: dict[str, str], unit: str, reset: str, enabled: bool) -> dict[str, Any]:
    """The plan as the service takes it; a number field that is not one is refused by its checks."""
    body: dict[str, Any] = {k: v.strip() for k, v in form.items()}
    for key in NUMBER_FIELDS - {"price_amount"}:
        text = body[key] or "0"
        try:
            body[key] = int(text)
        except ValueError:
            body[key] = text  # `_int` refuses it with "a whole number was expected"
    body.update(duration_unit=unit, quota_reset_period=reset, enabled=enabled)
    return body


class PlansState(DialogForm, AuthState):
    plans: list[dict[str, str]] = []
    form: dict[str, str] = dict(_BLANK)
    unit: str = "month"
    reset_period: str = "never"

    def _row(self, p: dict[str, Any]) -> dict[str, str]:
        unit = self.tr(DURATION_UNITS.get(p["duration_unit"], p["duration_unit"]))
        length = f"{p['custom_seconds']} s" if p["duration_unit"] == "custom" else f"{p['duration_value']} {unit}"
        return {"id": str(p["id"]), "title": p["title"], "price": f"${p['price_amount']:.2f}", "duration": length,
                "quota": self.fmt_quota(int(p["total_amount"] or 0)),
                "reset": self.tr(RESET_PERIODS.get(p["quota_reset_period"], p["quota_reset_period"])),
                "enabled": "1" if p["enabled"] else ""}

    async def _reload(self) -> None:
        plans = await backend_bridge.call(subscriptions.list_plans, False)
        self.plans = [self._row(p["plan"]) for p in plans]

    @rx.event
    async def on_load(self):  # noqa: ANN201
        redirect = await self._guard(Role.ADMIN)
        if redirect is not None:
            return redirect
        await self._reload()
        return None

    @rx.event
    async def open_new(self):  # noqa: ANN201
        user, away = await self._require(Role.ADMIN)
        if user is None:
            return away
        self._open_form(0, dict(_BLANK), True)
        self.unit, self.reset_period = "month", "never"
        return None

    @rx.event
    async def open_edit(self, plan_id: str):  # noqa: ANN201
        user, away = await self._require(Role.ADMIN)
        if user is None:
            return away
        try:
            plan = subscriptions.plan_view(await backend_bridge.call(subscriptions.get_plan, int(plan_id)))
        except ServiceError as exc:
            return rx.toast.error(self.tr_error(exc))
        self._open_form(int(plan["id"]), form_of(plan), bool(plan["enabled"]))
        self.unit, self.reset_period = plan["duration_unit"], plan["quota_reset_period"]
        return None

    @rx.event
    def set_unit(self, value: str) -> None:
        if value in DURATION_UNITS:
            self.unit = value

    @rx.event
    def set_reset(self, value: str) -> None:
        if value in RESET_PERIODS:
            self.reset_period = value

    @rx.event
    async def save(self):  # noqa: ANN201
        user, away = await self._require(Role.ADMIN)
        if user is None:
            return away
        body = body_of(self.form, self.unit, self.reset_period, self.form_enabled)
        if not await self._submit(subscriptions.create_plan, subscriptions.update_plan, body):
            return None
        await self._reload()
        return rx.toast.success(self.tr("Saved"))

    @rx.event
    async def set_enabled(self, plan_id: str, enabled: bool):  # noqa: ANN201
        user, away = await self._require(Role.ADMIN)
        if user is None:
            return away
        try:
            await backend_bridge.call(subscriptions.set_plan_enabled, int(plan_id), enabled)
        except ServiceError as exc:
            return rx.toast.error(self.tr_error(exc))
        await self._reload()
        return rx.toast.success(self.tr("Enabled") if enabled else self.tr("Disabled"))
