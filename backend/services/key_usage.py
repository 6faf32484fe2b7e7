"""An API key's balance and spending as new-api's key-usage tools show them
(`/v1/dashboard/billing/*`, `/api/usage/token`).

Figures are read from the database after the ledger's pending counters are flushed, so a call
settled a moment ago is already counted.
"""

from __future__ import annotations

import asyncio
from typing import Any

from backend.db import session_scope
from backend.models import Token, User
from backend.models.enums import QUOTA_PER_UNIT
from backend.services import options
from backend.services.ledger import aflush_all

UNLIMITED_USD = 100_000_000.0  # what new-api shows as the limit of an unlimited key


def _rows(token_id: int, user_id: int) -> tuple[Token | None, User | None]:
    with session_scope() as s:
        token, user = s.get(Token, token_id), s.get(User, user_id)
        if token is not None:
            s.expunge(token)
        if user is not None:
            s.expunge(user)
        return token, user


async def _fresh_rows(token_id: int, user_id: int) -> tuple[Token | None, User | None]:
    await aflush_all()
    return await asyncio.to_thread(_rows, token_id, user_id)


def _amount(quota: int) -> float:
    return quota / QUOTA_PER_UNIT if options.get_bool("DisplayInCurrencyEnabled") else float(quota)


async def subscription(token_id: int, user_id: int) -> dict[str, Any]:
    """OpenAI's old billing_subscription: the key's limit (remain + used) by default
    (DisplayTokenStatEnabled), the user's otherwise; USD when DisplayInCurrencyEnabled."""
    token, user = await _fresh_rows(token_id, user_id)
    by_token = options.get_bool("DisplayTokenStatEnabled")
    if by_token and token is not None:
        total, expires = token.remain_quota + token.used_quota, max(token.expired_time, 0)
    else:
        total, expires = (user.quota + user.used_quota) if user is not None else 0, 0
    amount = _amount(total)
    if by_token and token is not None and token.unlimited_quota:
        amount = UNLIMITED_USD
    return {
        "object": "billing_subscription",
        "has_payment_method": True,
        "soft_limit_usd": amount,
        "hard_limit_usd": amount,
        "system_hard_limit_usd": amount,
        "access_until": expires,
    }


async def usage(token_id: int, user_id: int) -> dict[str, Any]:
    """OpenAI's old billing usage: `total_usage` in cents (amount x 100)."""
    token, user = await _fresh_rows(token_id, user_id)
    if options.get_bool("DisplayTokenStatEnabled") and token is not None:
        used = token.used_quota
    else:
        used = user.used_quota if user is not None else 0
    return {"object": "list", "total_usage": _amount(used) * 100}


async def token_usage(token_id: int, user_id: int) -> dict[str, Any] | None:
    """new-api's GET /api/usage/token `data`, in quota units; None when the key is gone."""
    token, _ = await _fresh_rows(token_id, user_id)
    if token is None:
        return None
    limits = [m.strip() for m in (token.model_limits or "").split(",") if m.strip()]
    return {
        "object": "token_usage",
        "name": token.name,
        "total_granted": token.remain_quota + token.used_quota,
        "total_used": token.used_quota,
        "total_available": token.remain_quota,
        "unlimited_quota": bool(token.unlimited_quota),
        "model_limits": dict.fromkeys(limits, True),
        "model_limits_enabled": bool(token.model_limits_enabled),
        "expires_at": 0 if token.expired_time == -1 else token.expired_time,
    }
