"""Subscription plans (admin CRUD, new-api's validation) and users' subscriptions (list, bind,
invalidate, delete), with the period arithmetic the quota grant and the expiry share.

A plan sells `duration_value × duration_unit` of subscription (year, month, day, hour or
`custom_seconds`). Its `total_amount` quota is granted at the start and again at each
`quota_reset_period` (never, daily, weekly, monthly or custom seconds) while it lasts; see
subscription_grants for the once-per-period rule.
"""

from __future__ import annotations

import calendar
import json
import time
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, func, update
from sqlmodel import Session, col, select

from backend import cache
from backend.db import session_scope
from backend.models import SubscriptionPlan, SubscriptionQuotaGrant, User, UserSubscription
from backend.services import groups, ledger, payment_pricing
from backend.services.errors import NotFound, ServiceError, msg

DURATION_UNITS = ("year", "month", "day", "hour", "custom")
RESET_PERIODS = ("never", "daily", "weekly", "monthly", "custom")
ACTIVE, EXPIRED, CANCELLED = "active", "expired", "cancelled"
MAX_PRICE = 9999
MAX_DURATION_SECONDS = 100 * 366 * 86400
PLAN_FIELDS = (
    "title", "subtitle", "price_amount", "currency", "duration_unit", "duration_value", "custom_seconds", "enabled",
    "sort_order", "stripe_price_id", "creem_product_id", "max_purchase_per_user", "upgrade_group", "total_amount",
    "quota_reset_period", "quota_reset_custom_seconds",
)


def plan_view(p: SubscriptionPlan) -> dict[str, Any]:
    return {"id": p.id, **{k: getattr(p, k) for k in PLAN_FIELDS}, "created_at": p.created_at,
            "updated_at": p.updated_at}


def sub_view(s: UserSubscription) -> dict[str, Any]:
    return {k: getattr(s, k) for k in (
        "id", "user_id", "plan_id", "amount_total", "amount_used", "start_time", "end_time", "status", "source",
        "last_reset_time", "next_reset_time", "upgrade_group", "prev_user_group", "created_at", "updated_at")}


# ---- periods -------------------------------------------------------------------------------------

def _add_months(start: int, months: int) -> int:
    """`start` plus whole calendar months (UTC), the day clamped to the month's end (Go's AddDate
    would roll over; clamping keeps a month a month)."""
    d = datetime.fromtimestamp(start, UTC)
    y, m = divmod(d.month - 1 + months, 12)
    year, month = d.year + y, m + 1
    day = min(d.day, calendar.monthrange(year, month)[1])
    return int(d.replace(year=year, month=month, day=day).timestamp())


def end_time(plan: SubscriptionPlan, start: int) -> int:
    unit, n = plan.duration_unit, plan.duration_value
    if unit == "year":
        return _add_months(start, 12 * n)
    if unit == "month":
        return _add_months(start, n)
    if unit == "day":
        return start + n * 86400
    if unit == "hour":
        return start + n * 3600
    return start + plan.custom_seconds


def period_start(period: str, custom_seconds: int, start: int, k: int) -> int:
    """When reset period `k` (0 = the start) of a subscription that started at `start` begins."""
    if period == "daily":
        return start + k * 86400
    if period == "weekly":
        return start + k * 7 * 86400
    if period == "monthly":
        return _add_months(start, k)
    if period == "custom" and custom_seconds > 0:
        return start + k * custom_seconds
    return start if k == 0 else 2**62  # never resets


def current_period(period: str, custom_seconds: int, start: int, now: int) -> int:
    """The index of the reset period `now` falls in (0 when the plan never resets)."""
    if period in ("daily", "weekly") or (period == "custom" and custom_seconds > 0):
        length = {"daily": 86400, "weekly": 7 * 86400}.get(period, custom_seconds)
        return max(0, (now - start) // length)
    if period == "monthly":
        k = max(0, (now - start) // (31 * 86400))  # a lower bound, then step up month by month
        while period_start(period, custom_seconds, start, k + 1) <= now:
            k += 1
        return k
    return 0


# ---- plans ---------------------------------------------------------------------------------------

def _clean(raw: dict[str, Any]) -> dict[str, Any]:
    """new-api's checks on a plan, plus bounds that keep the arithmetic and the columns sane."""
    values = {k: raw[k] for k in PLAN_FIELDS if k in raw}
    title = str(values.get("title", "")).strip()
    if not title:
        raise ServiceError(msg("the plan title cannot be empty"))
    values["title"] = title[:128]
    values["subtitle"] = str(values.get("subtitle", "")).strip()[:255]
    try:
        price = float(values.get("price_amount", 0) or 0)
    except (TypeError, ValueError):
        raise ServiceError(msg("the price is not a number")) from None
    if not 0 <= price <= MAX_PRICE:
        raise ServiceError(msg("the price must be between 0 and {max_price}", max_price=MAX_PRICE))
    values["price_amount"] = round(price, 2)
    values["currency"] = "USD"
    unit = str(values.get("duration_unit") or "month")
    if unit not in DURATION_UNITS:
        raise ServiceError(msg("invalid duration_unit"))
    values["duration_unit"] = unit
    values["duration_value"] = _int(values.get("duration_value", 1))
    values["custom_seconds"] = _int(values.get("custom_seconds", 0))
    if unit != "custom" and values["duration_value"] <= 0:
        values["duration_value"] = 1
    if unit == "custom" and values["custom_seconds"] <= 0:
        raise ServiceError(msg("custom_seconds must be greater than 0"))
    months = {"year": 12, "month": 1}.get(unit)
    if months is not None:
        too_long = values["duration_value"] * months > 1200
    else:
        probe = SubscriptionPlan(duration_unit=unit, duration_value=values["duration_value"],
                                 custom_seconds=values["custom_seconds"])
        too_long = end_time(probe, 0) > MAX_DURATION_SECONDS
    if too_long:
        raise ServiceError(msg("the duration is too long (at most 100 years)"))
    for key in ("max_purchase_per_user", "total_amount", "sort_order", "quota_reset_custom_seconds"):
        values[key] = _int(values.get(key, 0))
    if values["max_purchase_per_user"] < 0:
        raise ServiceError(msg("the purchase limit cannot be negative"))
    if not 0 <= values["total_amount"] <= payment_pricing.MAX_WALLET_QUOTA:
        raise ServiceError(msg("the total quota must be between 0 and 2^53-1"))
    reset = str(values.get("quota_reset_period") or "never")
    values["quota_reset_period"] = reset if reset in RESET_PERIODS else "never"
    if values["quota_reset_period"] == "custom" and values["quota_reset_custom_seconds"] < 60:
        raise ServiceError(msg("a custom reset period must be at least 60 seconds"))
    upgrade = str(values.get("upgrade_group", "")).strip()
    if upgrade and upgrade not in groups.group_ratios():
        raise ServiceError(msg("the upgrade group does not exist"))
    values["upgrade_group"] = upgrade
    values["enabled"] = bool(values.get("enabled", True))
    values["stripe_price_id"] = str(values.get("stripe_price_id", "")).strip()[:128]
    values["creem_product_id"] = str(values.get("creem_product_id", "")).strip()[:128]
    return values


def _int(value: Any) -> int:
    try:
        n = int(value or 0)
    except (TypeError, ValueError):
        raise ServiceError(msg("a whole number was expected")) from None
    if abs(n) > 2**62:
        raise ServiceError(msg("a number is out of range"))
    return n


def list_plans(enabled_only: bool) -> list[dict[str, Any]]:
    with session_scope() as s:
        q = select(SubscriptionPlan)
        if enabled_only:
            q = q.where(SubscriptionPlan.enabled == True)  # noqa: E712 (SQL comparison)
        rows = s.exec(q.order_by(col(SubscriptionPlan.sort_order).desc(), col(SubscriptionPlan.id).desc()))
        return [{"plan": plan_view(p)} for p in rows]


def get_plan(plan_id: int) -> SubscriptionPlan:
    with session_scope() as s:
        plan = s.get(SubscriptionPlan, plan_id) if plan_id > 0 else None
        if plan is None:
            raise NotFound(msg("subscription plan not found"))
        s.expunge(plan)
        return plan


def create_plan(raw: dict[str, Any]) -> dict[str, Any]:
    values = _clean(raw)
    now = int(time.time())
    with session_scope() as s:
        plan = SubscriptionPlan(**values, created_at=now, updated_at=now)
        s.add(plan)
        s.flush()
        return plan_view(plan)


def update_plan(plan_id: int, raw: dict[str, Any]) -> None:
    values = _clean(raw)
    with session_scope() as s:
        done = s.exec(update(SubscriptionPlan).where(col(SubscriptionPlan.id) == plan_id)
                         .values(**values, updated_at=int(time.time()))).rowcount
    if done != 1:
        raise NotFound(msg("subscription plan not found"))


def set_plan_enabled(plan_id: int, enabled: bool) -> None:
    with session_scope() as s:
        done = s.exec(update(SubscriptionPlan).where(col(SubscriptionPlan.id) == plan_id)
                         .values(enabled=enabled, updated_at=int(time.time()))).rowcount
    if done != 1:
        raise NotFound(msg("subscription plan not found"))


def purchases_of(s: Session, user_id: int, plan_id: int) -> int:
    return int(s.exec(select(func.count()).select_from(UserSubscription).where(
        UserSubscription.user_id == user_id, UserSubscription.plan_id == plan_id)).one())


# ---- users' subscriptions ------------------------------------------------------------------------

def start(s: Session, user_id: int, plan: SubscriptionPlan, source: str, now: int) -> tuple[UserSubscription, int]:
    """Inside the caller's transaction: the subscription, its period-0 grant and the user's credit
    (and group upgrade). Returns the subscription and the quota credited."""
    user = s.get(User, user_id)
    if user is None:
        raise ServiceError(msg("the order's user no longer exists"))
    sub = UserSubscription(
        user_id=user_id, plan_id=plan.id, amount_total=plan.total_amount, start_time=now, end_time=end_time(plan, now),
        status=ACTIVE, source=source, last_reset_time=now, upgrade_group=plan.upgrade_group,
        prev_user_group=user.group if plan.upgrade_group else "", created_at=now, updated_at=now)
    sub.next_reset_time = next_reset(plan.quota_reset_period, plan.quota_reset_custom_seconds, now, 0, sub.end_time)
    s.add(sub)
    s.flush()
    s.add(SubscriptionQuotaGrant(user_subscription_id=sub.id, user_id=user_id, period=0, quota=plan.total_amount,
                                 created_at=now))
    values: dict[str, Any] = {"quota": User.quota + plan.total_amount}
    if plan.upgrade_group:
        values["group"] = plan.upgrade_group
    s.execute(update(User).where(col(User.id) == user_id).values(**values))
    s.flush()
    return sub, plan.total_amount


def next_reset(period: str, custom: int, start_at: int, k: int, end: int) -> int:
    nxt = period_start(period, custom, start_at, k + 1)
    return nxt if nxt < end else 0


def list_user(user_id: int, active_only: bool) -> list[dict[str, Any]]:
    now = int(time.time())
    with session_scope() as s:
        q = select(UserSubscription).where(UserSubscription.user_id == user_id)
        if active_only:
            q = q.where(UserSubscription.status == ACTIVE, UserSubscription.end_time > now)
        rows = s.exec(q.order_by(col(UserSubscription.end_time).desc(), col(UserSubscription.id).desc())).all()
        return [{"subscription": sub_view(r)} for r in rows]


def admin_bind(user_id: int, plan_id: int) -> dict[str, Any]:
    """An admin gives a user a plan without payment (new-api's bind): the same start as a paid order."""
    plan = get_plan(plan_id)
    with session_scope() as s:
        if s.get(User, user_id) is None:
            raise NotFound(msg("user not found"))
        sub, _ = start(s, user_id, plan, "admin", int(time.time()))
        return sub_view(sub)


def end(sub_id: int, status: str, now: int) -> bool:
    """An active subscription becomes expired or cancelled, once (compare-and-set), and a group it
    upgraded the user to goes back to the one before, if the user is still in it. True when it did."""
    with session_scope() as s:
        sub = s.get(UserSubscription, sub_id)
        if sub is None:
            return False
        ended = s.exec(update(UserSubscription).where(col(UserSubscription.id) == sub_id,
                                                         col(UserSubscription.status) == ACTIVE)
                          .values(status=status, end_time=min(sub.end_time, now), next_reset_time=0,
                                  updated_at=now)).rowcount == 1
        if ended and sub.upgrade_group and sub.prev_user_group:
            s.execute(update(User).where(col(User.id) == sub.user_id, col(User.group) == sub.upgrade_group)
                      .values(group=sub.prev_user_group))
    if ended:
        ledger.forget_user(sub.user_id)
        cache.invalidate_user(sub.user_id)
    return ended


def invalidate(sub_id: int) -> None:
    with session_scope() as s:
        if s.get(UserSubscription, sub_id) is None:
            raise NotFound(msg("subscription not found"))
    end(sub_id, CANCELLED, int(time.time()))


def remove(sub_id: int) -> None:
    invalidate(sub_id)
    with session_scope() as s:
        s.execute(delete(UserSubscription).where(col(UserSubscription.id) == sub_id))


# ---- billing preference --------------------------------------------------------------------------

PREFERENCES = ("subscription_first", "wallet_first", "subscription_only", "wallet_only")


def normalize_preference(value: str) -> str:
    return value if value in PREFERENCES else "subscription_first"


def preference(user: User) -> str:
    try:
        setting = json.loads(user.setting or "{}")
    except ValueError:
        setting = {}
    return normalize_preference(str(setting.get("billing_preference", "")) if isinstance(setting, dict) else "")


def set_preference(user_id: int, value: str) -> str:
    """Kept in the user's `setting` JSON as new-api keeps it. Plan quota is granted into the wallet
    here, so the preference is recorded for new-api's console rather than steering the relay."""
    pref = normalize_preference(value)
    with session_scope() as s:
        user = s.get(User, user_id)
        if user is None:
            raise NotFound(msg("user not found"))
        try:
            setting = json.loads(user.setting or "{}")
        except ValueError:
            setting = {}
        setting = setting if isinstance(setting, dict) else {}
        setting["billing_preference"] = pref
        user.setting = json.dumps(setting)
        s.add(user)
    cache.invalidate_user(user_id)
    return pref
