"""The price of one task submit, reserved before the upstream is asked and kept only if it accepts.

new-api's per-call rule (relay/helper/price.go `ModelPriceHelperPerCall`): `ModelPrice × 500000 ×
group ratio` (× the request's own ratios, e.g. video seconds and size), truncated; a model with only
a ratio costs `PreConsumedQuota × group ratio`; price, ratio or group ratio 0 is free. Tasks are
never trusted (the reservation is always taken), so an accepted task is paid for even if the user
spends the rest of the balance while it runs.
"""

from __future__ import annotations

from decimal import ROUND_DOWN, Decimal
from typing import Any

from backend.models.enums import QUOTA_PER_UNIT
from backend.relay.auth import Caller
from backend.services import billing, options


def _d(x: float) -> Decimal:
    return Decimal(repr(float(x)))


def quota_for(pricing: billing.Pricing, ratios: dict[str, float] | None = None) -> int:
    if pricing.free:
        return 0
    if pricing.model_price is not None:
        amount = _d(pricing.model_price) * QUOTA_PER_UNIT * _d(pricing.group_ratio)
    else:
        amount = Decimal(options.get_int("PreConsumedQuota", 500)) * _d(pricing.group_ratio)
    for value in (ratios or {}).values():
        amount *= _d(value)
    return int(amount.to_integral_value(ROUND_DOWN))


async def reserve(caller: Caller, model: str, channel_id: int, *, request_id: str = "",
                  ratios: dict[str, float] | None = None, other: dict[str, Any] | None = None) -> billing.Charge:
    """Price `model` for the caller and take it from user and key now (403 when the balance is
    short; ServiceError when the model has no price). Settle with `accept`, else `decline`."""
    pricing = billing.pricing_for(model, caller.group, caller.user)
    quota = quota_for(pricing, ratios)
    reserved = await billing.pre_consume(caller.user, caller.token, quota, trust=False)
    extra = {"model_price": pricing.model_price if pricing.model_price is not None else -1,
             "group_ratio": pricing.group_ratio, **({"other_ratios": ratios} if ratios else {}), **(other or {})}
    charge = billing.Charge(user=caller.user, token=caller.token, model=model, group=caller.group,
                            pricing=pricing, reserved=reserved, channel_id=channel_id, request_id=request_id,
                            ip=caller.ip, other=extra)
    charge.other["task_quota"] = quota
    return charge


async def accept(charge: billing.Charge, note: str) -> int:
    """The upstream took the task: the reservation becomes the charge (used quota, request count,
    channel, consume log). Returns the quota charged."""
    quota = int(charge.other.get("task_quota", charge.reserved))
    charge.content_note = note
    await billing.settle_quota(charge, quota, billing.Usage())
    return quota


async def decline(charge: billing.Charge, error: str | None = None, status: int = 0) -> None:
    """The upstream refused (or could not be reached): the reservation goes back, nothing is charged."""
    await billing.refund(charge, error=error, status_code=status)
