"""Epay ("易支付"): the signed purchase form and the signed notify, as go-epay does them.

The signature is MD5 over the parameters sorted by name, empty values, `sign` and `sign_type`
left out, joined as `k=v&k=v`, with the merchant key appended; lowercase hex.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from backend.models import User
from backend.services import options, payment_compliance, payment_pricing, topups
from backend.services.errors import ServiceError, msg

log = logging.getLogger("newapi.epay")

TRADE_SUCCESS = "TRADE_SUCCESS"
SUBMIT_PATH = "/submit.php"
NOTIFY_PATH = "/api/user/epay/notify"


def sign(params: Mapping[str, str], key: str) -> str:
    pairs = sorted((k, v) for k, v in params.items() if k not in ("sign", "sign_type") and v != "")
    text = "&".join(f"{k}={v}" for k, v in pairs) + key
    return hashlib.md5(text.encode()).hexdigest()  # noqa: S324 (the Epay protocol's own signature)


def signed(params: Mapping[str, str], key: str) -> dict[str, str]:
    out = {k: v for k, v in params.items() if k != "sign"}
    out["sign_type"] = "MD5"
    out["sign"] = sign(out, key)
    return out


def verify(params: Mapping[str, str], key: str) -> bool:
    given = params.get("sign", "")
    return bool(given) and hmac.compare_digest(given.lower(), sign(params, key))


def configured() -> bool:
    """The merchant credentials are set: notices for orders already made can be verified."""
    return all(options.get(k).strip() for k in ("PayAddress", "EpayId", "EpayKey"))


def enabled() -> bool:
    """Configured and the payment terms confirmed: new payments may start."""
    return configured() and payment_compliance.confirmed()


def callback_address() -> str:
    return (options.get("CustomCallbackAddress").strip() or options.get("ServerAddress").strip()).rstrip("/")


def pay_methods() -> list[dict[str, Any]]:
    methods = options.get_json("PayMethods")
    return [m for m in methods if isinstance(m, dict) and m.get("type")] if isinstance(methods, list) else []


def _method_min(method: str) -> int:
    """A method may carry its own `min_topup` (new-api's PayMethods entries)."""
    for m in pay_methods():
        if m.get("type") == method and str(m.get("min_topup", "")).strip():
            try:
                return int(float(m["min_topup"]))
            except ValueError:
                return 0
    return 0


def quote(user: User, amount: int) -> str:
    payment_pricing.check_amount(amount, payment_pricing.min_topup())
    money = payment_pricing.epay_money(amount, user.group)
    if money < payment_pricing.CENT:
        raise ServiceError(msg("the amount to pay is too low"))
    return f"{money:.2f}"


@dataclass(frozen=True)
class Purchase:
    url: str
    params: dict[str, str]
    trade_no: str


def purchase(user: User, amount: int, method: str) -> Purchase:
    """A pending order and the signed form the browser posts to `<PayAddress>/submit.php`."""
    if not configured():
        raise ServiceError(msg("online payment is not configured by the administrator"))
    payment_compliance.require()
    payment_pricing.check_amount(amount, max(payment_pricing.min_topup(), _method_min(method)))
    if method not in {m["type"] for m in pay_methods()}:
        raise ServiceError(msg("this payment method does not exist"))
    money = payment_pricing.epay_money(amount, user.group)
    if money < payment_pricing.CENT:
        raise ServiceError(msg("the amount to pay is too low"))
    trade_no = f"USR{user.id}NO{topups.random_string(6)}{int(time.time())}"
    server = options.get("ServerAddress").strip().rstrip("/")
    params = signed({
        "pid": options.get("EpayId").strip(),
        "type": method,
        "out_trade_no": trade_no,
        "notify_url": callback_address() + NOTIFY_PATH,
        "return_url": server + "/topup",
        "name": f"TUC{amount}",
        "money": f"{money:.2f}",
    }, options.get("EpayKey"))
    topups.create(user.id, payment_pricing.order_amount(amount), money, trade_no, method, topups.PROVIDER_EPAY)
    log.info("epay order %s created for user %d: amount %d, money %s", trade_no, user.id, amount, money)
    return Purchase(options.get("PayAddress").strip().rstrip("/") + SUBMIT_PATH, params, trade_no)


def notify(params: Mapping[str, str]) -> bool:
    """Handle one notify; True means answer `success` (the provider stops retrying).

    A bad signature, an unknown order or one of another provider answers `fail` and credits
    nothing. A repeated notify of a paid order answers `success` and credits nothing.
    """
    if not configured() or not params:
        return False
    if not verify(params, options.get("EpayKey")):
        log.warning("epay notify with a bad signature (order %s)", str(params.get("out_trade_no", ""))[:64])
        return False
    trade_no = params.get("out_trade_no", "")
    if params.get("trade_status") != TRADE_SUCCESS:
        log.info("epay notify for %s with status %s ignored", trade_no, params.get("trade_status"))
        return True
    try:
        done = topups.complete(
            trade_no, lambda order: payment_pricing.epay_credit(order.amount),
            provider=topups.PROVIDER_EPAY, method=params.get("type", ""), note="online top-up",
        )
    except ServiceError as exc:
        log.warning("epay notify for %s refused: %s", trade_no, exc.message)
        return False
    if done.already_done:
        log.info("epay notify for %s repeated; already credited", trade_no)
    return True
