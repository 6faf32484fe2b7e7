"""What a top-up costs and what it credits, in Decimal (never float), by new-api's formulas.

- Epay: `money = amount × Price × TopupGroupRatio[group] × discount[amount]`, 2 decimals;
  the credit is `amount × QuotaPerUnit`.
- Stripe: the quote is `amount × StripeUnitPrice × TopupGroupRatio × discount`; the order stores
  `money = amount × TopupGroupRatio` and the credit is `money × QuotaPerUnit` (new-api's Recharge).

`amount` is in dollars (units of QuotaPerUnit) unless the site shows quota as tokens
(`general_setting.quota_display_type = TOKENS`), where the console sends quota and the order keeps
whole dollars.
"""

from __future__ import annotations

from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal, InvalidOperation

from backend.services import options
from backend.services.errors import ServiceError, msg

CENT = Decimal("0.01")
MAX_WALLET_QUOTA = 2**53 - 1  # what a JavaScript client still reads exactly
STRIPE_MAX_AMOUNT = 10_000  # new-api's cap on one Stripe checkout


def dec(key: str, default: str = "0") -> Decimal:
    """An option as a Decimal (from its string, so 7.3 stays 7.3)."""
    try:
        value = Decimal(options.get(key).strip() or default)
    except InvalidOperation:
        value = Decimal(default)
    return value if value.is_finite() else Decimal(default)


def quota_per_unit() -> Decimal:
    qpu = dec("QuotaPerUnit", "500000")
    return qpu if qpu > 0 else Decimal(500000)


def tokens_display() -> bool:
    return options.get("general_setting.quota_display_type").strip().upper() == "TOKENS"


def topup_group_ratio(group: str) -> Decimal:
    ratios = options.get_json("TopupGroupRatio")
    raw = ratios.get(group) if isinstance(ratios, dict) else None
    try:
        ratio = Decimal(str(raw)) if raw is not None else Decimal(1)
    except InvalidOperation:
        ratio = Decimal(1)
    return ratio if ratio > 0 else Decimal(1)


def discount(amount: int) -> Decimal:
    """`payment_setting.amount_discount` maps a preset amount to a multiplier (0.9 = 10% off)."""
    table = options.get_json("payment_setting.amount_discount")
    raw = table.get(str(amount)) if isinstance(table, dict) else None
    try:
        value = Decimal(str(raw)) if raw is not None else Decimal(1)
    except InvalidOperation:
        value = Decimal(1)
    return value if value > 0 else Decimal(1)


def dollars(amount: int) -> Decimal:
    """The requested amount in dollars (TOKENS display: quota ÷ QuotaPerUnit)."""
    value = Decimal(amount)
    return value / quota_per_unit() if tokens_display() else value


def to_cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def epay_money(amount: int, group: str) -> Decimal:
    price = dec("Price", "7.3")
    return to_cents(dollars(amount) * price * topup_group_ratio(group) * discount(amount))


def stripe_quote(amount: int, group: str) -> Decimal:
    price = dec("StripeUnitPrice", "8")
    return to_cents(dollars(amount) * price * topup_group_ratio(group) * discount(amount))


def stripe_order_money(amount: int, group: str) -> Decimal:
    """new-api's GetChargedAmount: what the Stripe order records, and credits × QuotaPerUnit."""
    return Decimal(amount) * topup_group_ratio(group)


def min_topup(key: str = "MinTopUp") -> int:
    """The smallest amount a caller may ask for, in the caller's unit."""
    minimum = dec(key, "1")
    if tokens_display():
        minimum *= quota_per_unit()
    return int(minimum.to_integral_value(rounding=ROUND_DOWN))


def order_amount(amount: int) -> int:
    """The whole dollars an Epay order keeps (new-api stores dollars even in TOKENS display)."""
    return int(dollars(amount).to_integral_value(rounding=ROUND_DOWN))


def as_quota(value: Decimal) -> int:
    """A credit in quota units: positive and within what a wallet may hold, else a refusal."""
    quota = int(value.to_integral_value(rounding=ROUND_DOWN))
    if quota <= 0:
        raise ServiceError(msg("the top-up amount is too small"))
    if quota > MAX_WALLET_QUOTA:
        raise ServiceError(msg("the top-up amount is too large"))
    return quota


def epay_credit(order_amount_dollars: int) -> int:
    return as_quota(Decimal(order_amount_dollars) * quota_per_unit())


def stripe_credit(order_money: float) -> int:
    """From the stored double: `str()` gives its shortest exact decimal, so 12.34 stays 12.34."""
    return as_quota(Decimal(str(order_money)) * quota_per_unit())


def check_amount(amount: int, minimum: int, maximum: int | None = None) -> None:
    if amount < minimum:
        raise ServiceError(msg("the top-up amount cannot be less than {minimum}", minimum=minimum))
    if maximum is not None and amount > maximum:
        raise ServiceError(msg("the top-up amount cannot be more than {maximum}", maximum=maximum))
    if Decimal(amount) * (Decimal(1) if tokens_display() else quota_per_unit()) > MAX_WALLET_QUOTA:
        raise ServiceError(msg("the top-up amount is too large"))
