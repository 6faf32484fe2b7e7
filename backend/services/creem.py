"""Creem top-ups and subscription purchases, as new-api's controller/topup_creem.go does them.

The admin lists products in `CreemProducts` (`[{productId, name, price, currency, quota}]`). A
purchase records a pending order (`amount` = the product's quota, `money` = its price) and asks
Creem for a checkout (`POST <CREEM_API_BASE>/v1/checkouts`, `x-api-key`), passing the order's
reference as `request_id`. Creem's webhook carries `creem-signature` = hex HMAC-SHA256 of the raw
body with `CreemWebhookSecret`; a `checkout.completed` whose order is `paid` completes the order
through the same exactly-once path as every other provider. Unlike new-api's test mode, a missing
webhook secret never skips the signature check.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import time
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import httpx
import orjson

from backend.config import get_settings
from backend.json_shape import object_at
from backend.models import User
from backend.services import options, payment_compliance, payment_pricing, subscription_orders, topups
from backend.services.errors import ServiceError, msg

log = logging.getLogger("newapi.creem")

DEFAULT_BASE = "https://api.creem.io"
TEST_BASE = "https://test-api.creem.io"
TIMEOUT = 30.0


class BadSignature(ServiceError):
    def __init__(self) -> None:
        super().__init__(msg("invalid Creem signature"), 401)


@dataclass(frozen=True)
class Product:
    product_id: str
    name: str
    price: Decimal
    currency: str
    quota: int


def products() -> list[Product]:
    raw = options.get_json("CreemProducts")
    out = []
    for p in raw if isinstance(raw, list) else []:
        if not isinstance(p, dict) or not str(p.get("productId", "")).strip():
            continue
        try:
            price, quota = Decimal(str(p.get("price", 0))), int(p.get("quota", 0))
        except (ArithmeticError, ValueError, TypeError):
            continue
        if price.is_finite() and price > 0 and 0 < quota <= payment_pricing.MAX_WALLET_QUOTA:
            out.append(Product(str(p["productId"]).strip(), str(p.get("name", "")), price,
                               str(p.get("currency", "USD")), quota))
    return out


def configured() -> bool:
    return bool(options.get("CreemApiKey").strip() and options.get("CreemWebhookSecret").strip() and products())


def enabled() -> bool:
    """Configured and the payment terms confirmed: new checkouts may start."""
    return configured() and payment_compliance.confirmed()


def api_base() -> str:
    base = get_settings().CREEM_API_BASE.rstrip("/")
    return TEST_BASE if base == DEFAULT_BASE and options.get_bool("CreemTestMode") else base


def _checkout(product_id: str, request_id: str, user: User, metadata: dict[str, str]) -> str:
    key = options.get("CreemApiKey").strip()
    if not key:
        raise ServiceError(msg("Creem payment is not configured by the administrator"))
    body = {"product_id": product_id, "request_id": request_id, "customer": {"email": user.email or ""},
            "metadata": {"username": user.username, "reference_id": request_id, **metadata}}
    try:
        r = httpx.post(api_base() + "/v1/checkouts", json=body, headers={"x-api-key": key}, timeout=TIMEOUT)
        url = str(r.json().get("checkout_url") or "") if r.is_success else ""
    except (httpx.HTTPError, ValueError, AttributeError):
        url = ""
    if not url:
        log.warning("Creem checkout %s could not be created", request_id)
        raise ServiceError(msg("could not start the payment"), 502)
    return url


def _reference(user_id: int) -> str:
    seed = f"creem-api-ref-{user_id}-{int(time.time() * 1000)}-{topups.random_string(4)}"
    return "ref_" + hashlib.sha1(seed.encode()).hexdigest()  # noqa: S324 (an identifier, not a signature)


def topup(user: User, product_id: str, method: str) -> dict[str, str]:
    """A pending Creem top-up and its checkout: `{checkout_url, order_id}` (new-api's answer)."""
    if method != "creem":
        raise ServiceError(msg("unsupported payment channel"))
    if not product_id:
        raise ServiceError(msg("please choose a product"))
    if not configured():
        raise ServiceError(msg("Creem payment is not configured by the administrator"))
    payment_compliance.require()
    product = next((p for p in products() if p.product_id == product_id), None)
    if product is None:
        raise ServiceError(msg("this product does not exist"))
    ref = _reference(user.id)
    url = _checkout(product.product_id, ref, user, {"product_name": product.name, "quota": str(product.quota)})
    topups.create(user.id, product.quota, product.price, ref, "creem", topups.PROVIDER_CREEM)
    return {"checkout_url": url, "order_id": ref}


def subscription(user: User, plan_id: int) -> dict[str, str]:
    plan = subscription_orders.purchasable(user, plan_id)
    if not plan.creem_product_id:
        raise ServiceError(msg("this plan has no Creem product"))
    if not options.get("CreemWebhookSecret").strip():
        raise ServiceError(msg("Creem payment is not configured by the administrator"))
    ref = subscription_orders.REF_PREFIX + _reference(user.id)[4:]
    url = _checkout(plan.creem_product_id, ref, user, {"subscription_plan_id": str(plan.id)})
    subscription_orders.create(user.id, plan.id, plan.price_amount, ref, "creem")
    return {"checkout_url": url, "order_id": ref}


def verify(payload: bytes, signature: str) -> None:
    secret = options.get("CreemWebhookSecret")
    if not secret or not signature:
        raise BadSignature()
    expected = hmac.new(secret.encode(), payload, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(signature.strip().lower(), expected):
        raise BadSignature()


def webhook(payload: bytes, signature: str) -> str:
    """Verify and apply one event; returns what was done. BadSignature (401), or a 400-class
    ServiceError for a body that is not an event."""
    verify(payload, signature)
    try:
        event = orjson.loads(payload)
    except orjson.JSONDecodeError:
        raise ServiceError(msg("the webhook body is not JSON")) from None
    if not isinstance(event, dict) or event.get("eventType") != "checkout.completed":
        return f"ignored {event.get('eventType') if isinstance(event, dict) else '?'}"
    obj = object_at(event, "object")
    order = object_at(obj, "order")
    if order.get("status") != "paid":
        return "unpaid"
    ref = str(obj.get("request_id") or "")
    if not ref:
        raise ServiceError(msg("the event has no request_id"))
    if subscription_orders.is_subscription_trade(ref):
        try:
            done = subscription_orders.complete(ref, method="creem", payload=str(event.get("id") or ""),
                                                note="subscription purchase (Creem)")
        except ServiceError as exc:
            log.warning("Creem subscription completion of %s refused: %s", ref, exc.message)
            return "refused"
        return "credited" if done else "repeated"
    if order.get("type", "onetime") != "onetime":
        return "ignored order type"
    try:
        result = topups.complete(ref, lambda o: payment_pricing.as_quota(Decimal(o.amount)),
                                 provider=topups.PROVIDER_CREEM, note="online top-up (Creem)")
    except ServiceError as exc:
        log.warning("Creem completion of %s refused: %s", ref, exc.message)
        return "refused"
    return "repeated" if result.already_done else "credited"


def product_views() -> list[dict[str, Any]]:
    return [{"productId": p.product_id, "name": p.name, "price": float(p.price), "currency": p.currency,
             "quota": p.quota} for p in products()]

