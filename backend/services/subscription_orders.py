"""Subscription orders (`subscription_orders`): bought through Epay or Stripe, completed exactly once.

As with top-ups (see topups.complete), the completion's first statement is the compare-and-set
`UPDATE subscription_orders SET status='success' WHERE trade_no=? AND status='pending'`: of any
number of duplicate or concurrent notifies, webhooks or admin completions, on any database and any
number of instances, exactly one sees a row count of 1 and, in the same transaction, starts the
subscription, records its period-0 grant, credits the plan's quota and writes the order into
`top_ups` (new-api lists paid subscriptions among top-ups, amount 0).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import stripe
from sqlalchemy import or_, update
from sqlmodel import col, select
from stripe.params.checkout import SessionCreateParams

from backend.db import session_scope
from backend.models import SubscriptionOrder, TopUp, User
from backend.services import (
    activity_log,
    epay,
    keywords,
    options,
    payment_compliance,
    stripe_pay,
    subscriptions,
    topups,
)
from backend.services.errors import NotFound, ServiceError, msg
from backend.services.paging import page_of

log = logging.getLogger("newapi.subscriptions")

EPAY_NOTIFY_PATH = "/api/subscription/epay/notify"
TRADE_PREFIX = "SUBUSR"
REF_PREFIX = "sub_ref_"  # Stripe and Creem orders: the provider carries it back


def view(o: SubscriptionOrder) -> dict[str, Any]:
    return {k: getattr(o, k) for k in ("id", "user_id", "plan_id", "money", "trade_no", "payment_method", "status",
                                       "create_time", "complete_time")}


def purchasable(user: User, plan_id: int) -> Any:
    """The plan this user may buy now (every purchase path starts here)."""
    payment_compliance.require()
    plan = subscriptions.get_plan(plan_id)
    if not plan.enabled:
        raise ServiceError(msg("this plan is not available"))
    if plan.price_amount < 0.01:
        raise ServiceError(msg("the plan's price is too low"))
    if plan.max_purchase_per_user > 0:
        with session_scope() as s:
            if subscriptions.purchases_of(s, user.id, plan.id) >= plan.max_purchase_per_user:
                raise ServiceError(msg("you have reached this plan's purchase limit"))
    return plan


def create(user_id: int, plan_id: int, money: float, trade_no: str, method: str) -> None:
    with session_scope() as s:
        s.add(SubscriptionOrder(user_id=user_id, plan_id=plan_id, money=money, trade_no=trade_no,
                                payment_method=method, status=topups.PENDING, create_time=int(time.time())))


def epay_purchase(user: User, plan_id: int, method: str) -> epay.Purchase:
    """new-api's SubscriptionRequestEpay: the plan's price, 2 decimals, named `SUB:<title>`."""
    plan = purchasable(user, plan_id)
    if not epay.configured():
        raise ServiceError(msg("online payment is not configured by the administrator"))
    if method not in {m["type"] for m in epay.pay_methods()}:
        raise ServiceError(msg("this payment method does not exist"))
    money = Decimal(str(plan.price_amount)).quantize(Decimal("0.01"))
    trade_no = f"{TRADE_PREFIX}{user.id}NO{topups.random_string(6)}{int(time.time())}"
    server = options.get("ServerAddress").strip().rstrip("/")
    params = epay.signed({
        "pid": options.get("EpayId").strip(), "type": method, "out_trade_no": trade_no,
        "notify_url": epay.callback_address() + EPAY_NOTIFY_PATH, "return_url": server + "/console/topup",
        "name": f"SUB:{plan.title}", "money": f"{money:.2f}",
    }, options.get("EpayKey"))
    create(user.id, plan.id, float(money), trade_no, method)
    return epay.Purchase(options.get("PayAddress").strip().rstrip("/") + epay.SUBMIT_PATH, params, trade_no)


def stripe_purchase(user: User, plan_id: int) -> str:
    """A Checkout Session for one unit of the plan's own Stripe price; returns the pay link."""
    plan = purchasable(user, plan_id)
    if not plan.stripe_price_id:
        raise ServiceError(msg("this plan has no Stripe price"))
    if not options.get("StripeWebhookSecret").strip():
        raise ServiceError(msg("Stripe payment is not configured by the administrator"))
    trade_no = REF_PREFIX + stripe_pay.reference(user.id)[4:]
    server = options.get("ServerAddress").strip().rstrip("/")
    params: SessionCreateParams = {
        "client_reference_id": trade_no, "success_url": server + "/console/topup",
        "cancel_url": server + "/console/topup", "mode": "payment",
        "line_items": [{"price": plan.stripe_price_id, "quantity": 1}],
        "metadata": {"subscription_plan_id": str(plan.id)},
    }
    if user.stripe_customer:
        params["customer"] = user.stripe_customer
    elif user.email:
        params["customer_email"] = user.email
    try:
        session = stripe_pay.client().v1.checkout.sessions.create(params, {"idempotency_key": trade_no})
    except stripe.StripeError as exc:
        log.warning("Stripe subscription checkout for user %d failed: %s", user.id, type(exc).__name__)
        raise ServiceError(msg("could not start the payment"), 502) from None
    if not session.url:
        raise ServiceError(msg("could not start the payment"), 502)
    create(user.id, plan.id, plan.price_amount, trade_no, "stripe")
    return session.url


def is_subscription_trade(trade_no: str) -> bool:
    return trade_no.startswith((TRADE_PREFIX, REF_PREFIX))


def complete(trade_no: str, *, method: str = "", payload: str = "", note: str = "subscription purchase") -> bool:
    """Complete a pending order exactly once; True when this call did it, False when it was done
    already. Raises NotFound for an unknown order, ServiceError for an expired or failed one."""
    now = int(time.time())
    with session_scope() as s:
        values: dict[str, Any] = {"status": topups.SUCCESS, "complete_time": now}
        if method:
            values["payment_method"] = method[:50]
        if payload:
            values["provider_payload"] = payload[:8000]
        claimed = s.exec(update(SubscriptionOrder).where(
            col(SubscriptionOrder.trade_no) == trade_no, col(SubscriptionOrder.status) == topups.PENDING
        ).values(**values)).rowcount
        order = s.exec(select(SubscriptionOrder).where(SubscriptionOrder.trade_no == trade_no)).first()
        if order is None:
            raise NotFound(msg("subscription order not found"))
        if claimed != 1:
            if order.status == topups.SUCCESS:
                return False
            raise ServiceError(msg("the order is {status}, not pending", status=order.status))
        plan = subscriptions.get_plan(order.plan_id)  # a plan disabled since still completes a paid order
        _, quota = subscriptions.start(s, order.user_id, plan, "order", now)
        s.add(TopUp(user_id=order.user_id, amount=0, money=order.money, trade_no=order.trade_no,
                    payment_method=order.payment_method, payment_provider="subscription",
                    create_time=order.create_time, complete_time=now, status=topups.SUCCESS))
        user_id, money, paid_with = order.user_id, order.money, order.payment_method
        owner = s.get(User, user_id)
        username = owner.username if owner is not None else ""
    topups.after_credit(user_id, username, quota,
                        f"{note} succeeded: plan {plan.title}, paid {money:.2f} ({paid_with}),"
                        f" credited {activity_log.format_quota(quota)} (order {trade_no})")
    log.info("subscription order %s completed for user %d (plan %d)", trade_no, user_id, plan.id)
    return True


def expire(trade_no: str) -> bool:
    with session_scope() as s:
        return s.exec(update(SubscriptionOrder).where(
            col(SubscriptionOrder.trade_no) == trade_no, col(SubscriptionOrder.status) == topups.PENDING)
            .values(status=topups.EXPIRED, complete_time=int(time.time()))).rowcount == 1


def epay_notify(params: Mapping[str, str]) -> bool:
    """True means answer `success`. A bad signature or unknown order answers `fail`, credits nothing."""
    if not epay.configured() or not params or not epay.verify(params, options.get("EpayKey")):
        if params:
            log.warning("subscription epay notify refused (order %s)", str(params.get("out_trade_no", ""))[:64])
        return False
    trade_no = params.get("out_trade_no", "")
    if params.get("trade_status") != epay.TRADE_SUCCESS:
        return True
    if not trade_no.startswith(TRADE_PREFIX):
        return False
    try:
        complete(trade_no, method=params.get("type", ""), note="subscription purchase (Epay)")
    except ServiceError as exc:
        log.warning("subscription epay notify for %s refused: %s", trade_no, exc.message)
        return False
    return True


def stripe_completed(obj: dict[str, Any]) -> str:
    """A paid `checkout.session.completed` for a subscription order (stripe_pay dispatches here)."""
    trade_no = str(obj.get("client_reference_id") or "")
    try:
        done = complete(trade_no, payload=str(obj.get("id") or ""), note="subscription purchase (Stripe)")
    except ServiceError as exc:
        log.warning("Stripe subscription completion of %s refused: %s", trade_no, exc.message)
        return "refused"
    return "credited" if done else "repeated"


def list_all(keyword: str, p: int, page_size: int) -> tuple[list[dict[str, Any]], int]:
    conds = []
    if keyword:
        match = [col(SubscriptionOrder.trade_no).contains(keyword, autoescape=True)]
        if (row_id := keywords.as_id(keyword)) is not None:
            match.append(col(SubscriptionOrder.user_id) == row_id)
        conds.append(or_(*match))
    with session_scope() as s:
        rows, total = page_of(s, SubscriptionOrder, conds, p, page_size)
        return [view(r) for r in rows], total
