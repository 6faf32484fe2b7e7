"""The periodic quota grant and the expiry of subscriptions, run every minute on every instance.

A subscription whose plan resets (daily, weekly, monthly, custom) gets the plan's `total_amount`
again at each reset period. Each grant is a row of `subscription_quota_grants` whose unique
(user_subscription_id, period) pair is inserted in the same transaction as the credit: when two
instances (or two ticks) reach the same period at once, the database lets one insert commit and
the other fails with an integrity error and credits nothing, so a period is granted exactly once
without a read-then-write. Only the period `now` falls in is granted (a reset, as new-api resets
a subscription's allowance; periods missed while no instance ran are not paid twice later).
"""

from __future__ import annotations

import asyncio
import logging
import time

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from backend import lifecycle
from backend.db import session_scope
from backend.models import SubscriptionPlan, SubscriptionQuotaGrant, User, UserSubscription
from backend.models.enums import LogType
from backend.services import activity_log, subscriptions, topups

log = logging.getLogger("newapi.subscriptions")

TICK_SECONDS = 60.0
BATCH = 500


def _due(now: int) -> list[tuple[int, int]]:
    """(subscription id, plan id) of the active subscriptions whose next reset has come."""
    with session_scope() as s:
        rows = s.exec(select(UserSubscription.id, UserSubscription.plan_id).where(
            UserSubscription.status == subscriptions.ACTIVE, UserSubscription.next_reset_time > 0,
            UserSubscription.next_reset_time <= now, UserSubscription.end_time > now).limit(BATCH))
        return [(int(a), int(b)) for a, b in rows]


def grant(sub_id: int, now: int) -> int:
    """Grant the period `now` falls in, once; returns the quota credited (0 when not due or done)."""
    try:
        with session_scope() as s:
            sub = s.get(UserSubscription, sub_id)
            plan = s.get(SubscriptionPlan, sub.plan_id) if sub is not None else None
            if sub is None or plan is None or sub.status != subscriptions.ACTIVE or sub.end_time <= now:
                return 0
            period, custom = plan.quota_reset_period, plan.quota_reset_custom_seconds
            k = subscriptions.current_period(period, custom, sub.start_time, now)
            if k == 0:
                return 0
            quota = sub.amount_total
            s.add(SubscriptionQuotaGrant(user_subscription_id=sub.id, user_id=sub.user_id, period=k, quota=quota,
                                         created_at=now))
            s.flush()  # the unique pair: a second grant of this period stops here
            s.execute(update(UserSubscription).where(col(UserSubscription.id) == sub.id).values(
                amount_used=0, last_reset_time=subscriptions.period_start(period, custom, sub.start_time, k),
                next_reset_time=subscriptions.next_reset(period, custom, sub.start_time, k, sub.end_time),
                updated_at=now))
            if quota > 0:
                s.execute(update(User).where(col(User.id) == sub.user_id).values(quota=User.quota + quota))
            owner = s.get(User, sub.user_id)
            user_id, username, title = sub.user_id, owner.username if owner else "", plan.title
    except IntegrityError:
        return 0
    topups.after_credit(user_id, username, quota,
                        f"subscription {title}: period {k} quota granted, {activity_log.format_quota(quota)}",
                        LogType.SYSTEM)
    return quota


def _expiring(now: int) -> list[int]:
    with session_scope() as s:
        return [int(i) for i in s.exec(select(UserSubscription.id).where(
            UserSubscription.status == subscriptions.ACTIVE, UserSubscription.end_time <= now).limit(BATCH))]


def run_once(now: int | None = None) -> dict[str, int]:
    """One pass: grant due periods, end lapsed subscriptions. Safe on any number of instances."""
    now = int(time.time()) if now is None else now
    granted = sum(1 for sub_id, _ in _due(now) if grant(sub_id, now) > 0)
    expired = sum(1 for sub_id in _expiring(now) if subscriptions.end(sub_id, subscriptions.EXPIRED, now))
    if granted or expired:
        log.info("subscriptions: %d period grants, %d expired", granted, expired)
    return {"granted": granted, "expired": expired}


async def _run_in_thread() -> None:
    await asyncio.to_thread(run_once)


_job = lifecycle.PeriodicJob("newapi-subscription-grants", lambda: TICK_SECONDS, _run_in_thread)
