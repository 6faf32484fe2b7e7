"""Invite rebates: an inviter earns a share of what the people they invited pay, as new-api does.

Options `invite_rebate_setting.times` (the invitee's first N successful wallet top-ups, at most 100)
and `invite_rebate_setting.percent` (0–100, of the amount actually paid, converted to quota at the
provider's unit price). Only invitees registered while rebates existed are eligible
(`users.invite_rebate_eligible`, set at registration), and nothing is paid before the operator has
confirmed the payment terms. The rebate row's unique `top_up_id` keeps it single: a repeated
payment notice, two racing ones, or a recovery after a crash between the invitee's credit and the
rebate all end with one row and one credit, written in the same transaction.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal, InvalidOperation

from sqlalchemy import func, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from backend.db import session_scope
from backend.models import InviteRebate, TopUp, User
from backend.services import options, payment_compliance, payment_pricing

log = logging.getLogger("newapi.invite_rebates")

MAX_TIMES = 100
# The providers whose orders fund a wallet (a subscription or a balance payment is not a top-up).
WALLET_PROVIDERS = ("epay", "stripe", "creem", "waffo")
_UNIT_PRICE_OPTION = {"stripe": ("StripeUnitPrice", "8"), "waffo": ("WaffoUnitPrice", "1")}


@dataclass(frozen=True)
class Grant:
    inviter_id: int
    inviter_name: str
    invitee_id: int
    quota: int
    percent: Decimal
    sequence: int


def setting() -> tuple[int, Decimal]:
    """(times, percent), clamped as new-api clamps them; (0, 0) when off."""
    times = min(max(options.get_int("invite_rebate_setting.times"), 0), MAX_TIMES)
    try:
        percent = Decimal(options.get("invite_rebate_setting.percent").strip() or "0")
    except InvalidOperation:
        percent = Decimal(0)
    if not percent.is_finite():
        percent = Decimal(0)
    return times, min(max(percent, Decimal(0)), Decimal(100))


def rebate_quota(order: TopUp, percent: Decimal) -> int:
    """The quota `percent` % of the order is worth. Creem orders keep their credited quota in
    `amount`; the others keep the money paid, converted at the provider's unit price."""
    if order.payment_provider == "creem":
        base = Decimal(order.amount)
    else:
        key, default = _UNIT_PRICE_OPTION.get(order.payment_provider, ("Price", "7.3"))
        unit = payment_pricing.dec(key, default)
        if unit <= 0 or order.money <= 0:
            return 0
        base = Decimal(str(order.money)) / unit * payment_pricing.quota_per_unit()
    quota = int((base * percent / 100).to_integral_value(rounding=ROUND_DOWN))
    return quota if 0 < quota <= payment_pricing.MAX_WALLET_QUOTA else 0


def grant(trade_no: str) -> Grant | None:
    """Pay the inviter's rebate for this successful order once; None when nothing is due (or it
    was paid before)."""
    times, percent = setting()
    if times <= 0 or percent <= 0 or not payment_compliance.confirmed():
        return None
    try:
        with session_scope() as s:
            order = s.exec(select(TopUp).where(TopUp.trade_no == trade_no)).first()
            if order is None or order.id is None or order.status != "success":
                return None
            if order.payment_provider not in WALLET_PROVIDERS:
                return None
            if s.exec(select(InviteRebate.id).where(InviteRebate.top_up_id == order.id)).first() is not None:
                return None
            invitee = s.get(User, order.user_id)
            if invitee is None or not invitee.invite_rebate_eligible:
                return None
            if invitee.inviter_id <= 0 or invitee.inviter_id == invitee.id:
                return None
            sequence = s.exec(select(func.count()).select_from(TopUp).where(
                TopUp.user_id == invitee.id, TopUp.status == "success",
                col(TopUp.payment_provider).in_(WALLET_PROVIDERS), col(TopUp.id) <= order.id,
            )).one()
            quota = rebate_quota(order, percent)
            if not 0 < sequence <= times or quota <= 0:
                return None
            # The insert comes first: of two racing grants, the second fails here, before any credit.
            s.add(InviteRebate(top_up_id=order.id, trade_no=order.trade_no, invitee_id=invitee.id,
                               inviter_id=invitee.inviter_id, quota=quota, percent=float(percent),
                               sequence=int(sequence), created_at=int(time.time())))
            s.flush()
            credited = s.exec(
                update(User)
                .where(col(User.id) == invitee.inviter_id, col(User.deleted_at).is_(None),
                       col(User.quota) <= payment_pricing.MAX_WALLET_QUOTA - quota)
                .values(quota=User.quota + quota, aff_history_quota=User.aff_history_quota + quota)
            ).rowcount
            if credited != 1:
                s.rollback()
                log.info("invite rebate for %s skipped: the inviter is gone or their wallet is full", trade_no)
                return None
            inviter = s.get(User, invitee.inviter_id)
            name = inviter.username if inviter is not None else ""
            return Grant(invitee.inviter_id, name, invitee.id, quota, percent, int(sequence))
    except IntegrityError:
        return None  # another delivery of the same payment paid it a moment ago
