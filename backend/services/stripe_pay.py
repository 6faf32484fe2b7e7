"""Stripe top-ups with the official `stripe` library: a Checkout Session per order, the webhook
verified by the library (`Stripe-Signature`, 300 s tolerance) and credited exactly once.

The API root is STRIPE_API_BASE (tests point it at a local fake Stripe). new-api's formulas: the
session sells `amount` × StripePriceId; the order records `money = amount × TopupGroupRatio`;
the credit is `money × QuotaPerUnit` (see payment_pricing).
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import time
from typing import Any

import stripe
from stripe.params.checkout import SessionCreateParams

from backend.config import get_settings
from backend.models import User
from backend.services import options, payment_compliance, payment_pricing, topups
from backend.services.errors import ServiceError, msg

log = logging.getLogger("newapi.stripe")

TOLERANCE = 300
COMPLETED, EXPIRED = "checkout.session.completed", "checkout.session.expired"


class BadSignature(ServiceError):
    def __init__(self) -> None:
        super().__init__(msg("invalid Stripe signature"), 400)


def configured() -> bool:
    return all(options.get(k).strip() for k in ("StripeApiSecret", "StripeWebhookSecret", "StripePriceId"))


def enabled() -> bool:
    """Configured and the payment terms confirmed: new checkouts may start."""
    return configured() and payment_compliance.confirmed()


def client() -> stripe.StripeClient:
    secret = options.get("StripeApiSecret").strip()
    if not secret.startswith(("sk_", "rk_")):
        raise ServiceError(msg("the Stripe API key is not valid (it must start with sk_ or rk_)"))
    return stripe.StripeClient(secret, base_addresses={"api": get_settings().STRIPE_API_BASE.rstrip("/")},
                               max_network_retries=1)


def quote(user: User, amount: int) -> str:
    payment_pricing.check_amount(amount, payment_pricing.min_topup("StripeMinTopUp"))
    money = payment_pricing.stripe_quote(amount, user.group)
    if money <= payment_pricing.CENT:
        raise ServiceError(msg("the amount to pay is too low"))
    return f"{money:.2f}"


def reference(user_id: int) -> str:
    seed = f"new-api-ref-{user_id}-{int(time.time() * 1000)}-{secrets.token_hex(4)}"
    return "ref_" + hashlib.sha1(seed.encode()).hexdigest()  # noqa: S324 (an identifier, not a signature)


def checkout(user: User, amount: int, method: str) -> str:
    """Create the pending order's Checkout Session; returns the page the browser goes to."""
    if method != "stripe":
        raise ServiceError(msg("unsupported payment channel"))
    if not configured():
        raise ServiceError(msg("Stripe payment is not configured by the administrator"))
    payment_compliance.require()
    payment_pricing.check_amount(amount, payment_pricing.min_topup("StripeMinTopUp"), payment_pricing.STRIPE_MAX_AMOUNT)
    trade_no = reference(user.id)
    server = options.get("ServerAddress").strip().rstrip("/")
    params: SessionCreateParams = {
        "client_reference_id": trade_no,
        "success_url": server + "/topup",
        "cancel_url": server + "/topup",
        "line_items": [{"price": options.get("StripePriceId").strip(), "quantity": amount}],
        "mode": "payment",
        "allow_promotion_codes": options.get_bool("StripePromotionCodesEnabled"),
    }
    if user.stripe_customer:
        params["customer"] = user.stripe_customer
    else:
        if user.email:
            params["customer_email"] = user.email
        params["customer_creation"] = "always"
    try:
        session = client().v1.checkout.sessions.create(params, {"idempotency_key": trade_no})
    except stripe.StripeError as exc:
        log.warning("Stripe checkout for user %d failed: %s", user.id, type(exc).__name__)
        raise ServiceError(msg("could not start the payment"), 502) from None
    if not session.url:
        raise ServiceError(msg("could not start the payment"), 502)
    topups.create(user.id, amount, payment_pricing.stripe_order_money(amount, user.group), trade_no, "stripe",
                  topups.PROVIDER_STRIPE)
    return session.url


def verified_event(payload: bytes, signature: str) -> tuple[str, dict[str, Any]]:
    """The event's type and object, once the library verified it; BadSignature when the
    signature, its timestamp (older than 300 s) or the payload does not hold."""
    secret = options.get("StripeWebhookSecret")
    if not secret or not signature:
        raise BadSignature()
    try:
        event = stripe.Webhook.construct_event(payload, signature, secret, tolerance=TOLERANCE)
    except (stripe.SignatureVerificationError, ValueError):
        raise BadSignature() from None
    return event.type, event.data.object.to_dict()  # a StripeObject is not a dict; read as one


def paid(obj: dict[str, Any]) -> bool:
    return _field(obj, "status") == "complete" and _field(obj, "payment_status") in ("paid", "no_payment_required")


def webhook(payload: bytes, signature: str) -> str:
    """Verify and apply one top-up event; returns what was done (for the log)."""
    return apply(*verified_event(payload, signature))


def apply(kind: str, obj: dict[str, Any]) -> str:
    if kind == COMPLETED:
        return _completed(obj)
    if kind == EXPIRED:
        return _expired(obj)
    return f"ignored {kind}"


def _field(obj: dict[str, Any], name: str) -> str:
    value = obj.get(name)
    return "" if value is None else str(value)


def _completed(obj: dict[str, Any]) -> str:
    trade_no = _field(obj, "client_reference_id")
    if not paid(obj):
        log.info("Stripe session %s completed without payment (%s/%s)", trade_no, _field(obj, "status"),
                 _field(obj, "payment_status"))
        return "unpaid"
    customer = _field(obj, "customer")
    try:
        done = topups.complete(
            trade_no, lambda order: payment_pricing.stripe_credit(order.money), provider=topups.PROVIDER_STRIPE,
            note="online top-up (Stripe)", user_updates={"stripe_customer": customer[:64]} if customer else None,
        )
    except ServiceError as exc:
        log.warning("Stripe completion of %s refused: %s", trade_no, exc.message)
        return "refused"
    return "repeated" if done.already_done else "credited"


def _expired(obj: dict[str, Any]) -> str:
    trade_no = _field(obj, "client_reference_id")
    if _field(obj, "status") != "expired" or not trade_no:
        return "ignored"
    return "expired" if topups.expire(trade_no, topups.PROVIDER_STRIPE) else "not pending"
