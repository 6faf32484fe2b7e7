"""Waffo top-ups, as new-api's controller/topup_waffo.go does them.

A purchase records a pending order (`amount` in whole dollars as Epay's, `money` what the payer is
charged: `amount × WaffoUnitPrice × TopupGroupRatio × discount`) and creates a Waffo order whose
`merchantOrderId` is our trade number; the payer goes to the cashier page Waffo returns. Waffo's
`PAYMENT_NOTIFICATION` with `orderStatus: PAY_SUCCESS` completes the order through the same
exactly-once path as every other provider (`amount × QuotaPerUnit`); another final status marks a
pending order failed (a later PAY_SUCCESS still credits it: the money was taken). The webhook is verified with Waffo's public key before anything is read, and
is honoured for orders already made even when new payments are switched off.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import orjson

from backend.config import get_settings
from backend.json_shape import object_at
from backend.models import User
from backend.services import epay, options, payment_compliance, payment_pricing, topups, waffo_api
from backend.services.errors import ServiceError, msg

log = logging.getLogger("newapi.waffo")

PAYMENT_EVENT = "PAYMENT_NOTIFICATION"
PAID = "PAY_SUCCESS"
ZERO_DECIMAL_CURRENCIES = {"IDR", "JPY", "KRW", "VND"}


class BadSignature(ServiceError):
    def __init__(self) -> None:
        super().__init__(msg("invalid Waffo signature"), 400)


@dataclass(frozen=True)
class PayMethod:
    name: str
    pay_method_type: str
    pay_method_name: str


def credentials() -> waffo_api.Credentials:
    sandbox = options.get_bool("WaffoSandbox")
    prefix = "WaffoSandbox" if sandbox else "Waffo"
    base = get_settings().WAFFO_API_BASE.strip() or (waffo_api.SANDBOX_BASE if sandbox else waffo_api.PRODUCTION_BASE)
    return waffo_api.Credentials(
        api_key=options.get(prefix + "ApiKey").strip(), private_key=options.get(prefix + "PrivateKey").strip(),
        public_key=options.get(prefix + "PublicCert").strip(), merchant_id=options.get("WaffoMerchantId").strip(),
        base_url=base,
    )


def configured() -> bool:
    """The keys of the selected environment are set: webhooks can be verified."""
    c = credentials()
    return bool(c.api_key and c.private_key and c.public_key)


def enabled() -> bool:
    return options.get_bool("WaffoEnabled") and configured() and payment_compliance.confirmed()


def currency() -> str:
    return options.get("WaffoCurrency").strip().upper() or "USD"


def pay_methods() -> list[PayMethod]:
    raw = options.get_json("WaffoPayMethods")
    out = []
    for m in raw if isinstance(raw, list) else []:
        if isinstance(m, dict) and str(m.get("payMethodType", "")).strip():
            out.append(PayMethod(str(m.get("name", "")), str(m["payMethodType"]).strip(),
                                 str(m.get("payMethodName", "")).strip()))
    return out


def pay_money(amount: int, group: str) -> Decimal:
    price = payment_pricing.dec("WaffoUnitPrice", "1")
    money = payment_pricing.dollars(amount) * price * payment_pricing.topup_group_ratio(group)
    money *= payment_pricing.discount(amount)
    if currency() in ZERO_DECIMAL_CURRENCIES:
        return money.quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return payment_pricing.to_cents(money)


def quote(user: User, amount: int) -> str:
    payment_pricing.check_amount(amount, payment_pricing.min_topup("WaffoMinTopUp"))
    money = pay_money(amount, user.group)
    if money < payment_pricing.CENT:
        raise ServiceError(msg("the amount to pay is too low"))
    return f"{money:.2f}"


def _method(index: int | None, method_type: str, method_name: str) -> PayMethod | None:
    """The payer's choice among the configured methods (by index, or new-api's older type+name);
    None lets Waffo's cashier choose."""
    methods = pay_methods()
    if index is not None:
        if not 0 <= index < len(methods):
            raise ServiceError(msg("this payment method is not supported"))
        return methods[index]
    if method_type:
        found = next((m for m in methods if (m.pay_method_type, m.pay_method_name) == (method_type, method_name)), None)
        if found is None:
            raise ServiceError(msg("this payment method is not supported"))
        return found
    return None


def purchase(user: User, amount: int, index: int | None = None, method_type: str = "",
             method_name: str = "") -> dict[str, str]:
    """A pending order and Waffo's cashier page for it: `{payment_url, order_id}` (new-api's answer)."""
    if not (options.get_bool("WaffoEnabled") and configured()):
        raise ServiceError(msg("Waffo payment is not enabled by the administrator"))
    payment_compliance.require()
    payment_pricing.check_amount(amount, payment_pricing.min_topup("WaffoMinTopUp"))
    method = _method(index, method_type.strip(), method_name.strip())
    money = pay_money(amount, user.group)
    if money < payment_pricing.CENT:
        raise ServiceError(msg("the amount to pay is too low"))
    trade_no = f"WAFFO-{user.id}-{int(time.time() * 1000)}-{topups.random_string(6)}"
    topups.create(user.id, max(payment_pricing.order_amount(amount), 1), money, trade_no, "waffo",
                  topups.PROVIDER_WAFFO)
    creds = credentials()
    server = options.get("ServerAddress").strip().rstrip("/")
    return_url = options.get("WaffoReturnUrl").strip() or server + "/topup"
    body: dict[str, Any] = {
        "paymentRequestId": trade_no, "merchantOrderId": trade_no,
        "orderAmount": f"{money:.0f}" if currency() in ZERO_DECIMAL_CURRENCIES else f"{money:.2f}",
        "orderCurrency": currency(), "orderDescription": f"Recharge {amount} credits",
        "orderRequestedAt": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "notifyUrl": options.get("WaffoNotifyUrl").strip() or epay.callback_address() + "/api/waffo/webhook",
        "merchantInfo": {"merchantId": creds.merchant_id},
        "userInfo": {"userId": str(user.id), "userEmail": f"{user.id}@examples.com", "userTerminal": "WEB"},
        "paymentInfo": {"productName": "ONE_TIME_PAYMENT",
                        **({"payMethodType": method.pay_method_type, "payMethodName": method.pay_method_name}
                           if method else {})},
        "successRedirectUrl": return_url, "failedRedirectUrl": return_url,
    }
    try:
        data = waffo_api.post(creds, "/order/create", body)
        url = waffo_api.redirect_url(data.get("orderAction"))
    except (RuntimeError, waffo_api.UnreadableKey) as exc:
        log.warning("Waffo order %s could not be created: %s", trade_no, exc)
        url = ""
    if not url:
        topups.expire(trade_no, topups.PROVIDER_WAFFO, topups.FAILED)
        raise ServiceError(msg("could not start the payment"), 502)
    log.info("Waffo order %s created for user %d: amount %d, money %s %s", trade_no, user.id, amount, money, currency())
    return {"payment_url": url, "order_id": trade_no}


def webhook(payload: bytes, signature: str) -> str:
    """Verify and apply one notification; returns what was done. BadSignature for an unverified
    body; a ServiceError for a body that is not a notification."""
    creds = credentials()
    if not (configured() and waffo_api.verify(payload, signature, creds.public_key)):
        raise BadSignature()
    try:
        event = orjson.loads(payload)
    except orjson.JSONDecodeError:
        raise ServiceError(msg("the webhook body is not JSON")) from None
    if not isinstance(event, dict) or event.get("eventType") != PAYMENT_EVENT:
        return "ignored"
    result = object_at(event, "result")
    trade_no = str(result.get("merchantOrderId") or "")
    if not trade_no:
        raise ServiceError(msg("the notification names no order"))
    if result.get("orderStatus") != PAID:
        failed = topups.expire(trade_no, topups.PROVIDER_WAFFO, topups.FAILED)
        return "marked failed" if failed else "ignored status"
    # Waffo's word that the money was taken outranks an earlier failure notice of the same order.
    topups.reopen_failed(trade_no, topups.PROVIDER_WAFFO)
    try:
        done = topups.complete(trade_no, lambda o: payment_pricing.epay_credit(o.amount),
                               provider=topups.PROVIDER_WAFFO, note="online top-up (Waffo)")
    except ServiceError as exc:
        log.warning("Waffo completion of %s refused: %s", trade_no, exc.message)
        return "refused"
    return "repeated" if done.already_done else "credited"


def signed_answer(success: bool) -> tuple[str, str]:
    """The body Waffo expects back and its signature (empty when our key cannot sign)."""
    body = waffo_api.SUCCESS_BODY if success else waffo_api.FAILED_BODY
    try:
        return body, waffo_api.sign(body, credentials().private_key)
    except waffo_api.UnreadableKey:
        return body, ""
