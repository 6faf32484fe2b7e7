"""`/api/stripe/webhook`'s one entry: verify the event, then hand it to the kind of order its
`client_reference_id` names (a subscription order, else a top-up), as new-api's one webhook does."""

from __future__ import annotations

import logging

from backend.services import stripe_pay, subscription_orders

log = logging.getLogger("newapi.stripe")


def handle(payload: bytes, signature: str) -> str:
    kind, obj = stripe_pay.verified_event(payload, signature)
    trade_no = str(obj.get("client_reference_id") or "")
    if not subscription_orders.is_subscription_trade(trade_no):
        return stripe_pay.apply(kind, obj)
    if kind == stripe_pay.COMPLETED:
        if not stripe_pay.paid(obj):
            log.info("Stripe subscription session %s completed without payment", trade_no)
            return "unpaid"
        return subscription_orders.stripe_completed(obj)
    if kind == stripe_pay.EXPIRED and obj.get("status") == "expired":
        return "expired" if subscription_orders.expire(trade_no) else "not pending"
    return f"ignored {kind}"
