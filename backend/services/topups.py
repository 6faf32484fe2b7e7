"""Top-up orders (`top_ups`): create pending, credit exactly once, expire, list.

Every way an order is completed (an Epay notify, a Stripe webhook, an admin's manual completion)
goes through `complete()`: one transaction whose first statement is the compare-and-set
`UPDATE top_ups SET status='success' … WHERE trade_no=? AND status='pending'`. That statement takes
the row's write lock (SQLite: the database's) before anything is read, so of any number of
concurrent or repeated deliveries, on any database and any number of gateway instances, exactly
one sees a row count of 1 and credits the user, in the same transaction. The others see 0 and
learn from the row they then read whether it was already done.
"""

from __future__ import annotations

import logging
import secrets
import string
import time
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import or_, update
from sqlmodel import Session, col, select

from backend import cache
from backend.db import session_scope
from backend.models import TopUp, User
from backend.models.enums import LogType
from backend.services import activity_log, invite_rebates, keywords, ledger, payment_pricing
from backend.services.errors import NotFound, ServiceError, msg
from backend.services.paging import page_of

log = logging.getLogger("newapi.topups")

PENDING, SUCCESS, EXPIRED, FAILED = "pending", "success", "expired", "failed"
PROVIDER_EPAY, PROVIDER_STRIPE, PROVIDER_CREEM, PROVIDER_WAFFO = "epay", "stripe", "creem", "waffo"
SELF_WINDOW = 30 * 24 * 3600  # new-api shows a user the last 30 days of orders
_ALNUM = string.ascii_letters + string.digits


class OrderNotFound(ServiceError):
    def __init__(self) -> None:
        super().__init__(msg("top-up order not found"), 404)


@dataclass(frozen=True)
class Completion:
    """What `complete()` did: `credited` quota (0 when it was already done)."""

    order: dict[str, Any]
    credited: int
    already_done: bool


def view(t: TopUp) -> dict[str, Any]:
    return {
        "id": t.id, "user_id": t.user_id, "amount": t.amount, "money": t.money, "trade_no": t.trade_no,
        "payment_method": t.payment_method, "payment_provider": t.payment_provider,
        "create_time": t.create_time, "complete_time": t.complete_time, "status": t.status,
    }


def random_string(n: int) -> str:
    return "".join(secrets.choice(_ALNUM) for _ in range(n))


def create(user_id: int, amount: int, money: Decimal, trade_no: str, method: str, provider: str) -> dict[str, Any]:
    with session_scope() as s:
        order = TopUp(user_id=user_id, amount=amount, money=float(money), trade_no=trade_no, payment_method=method,
                      payment_provider=provider, create_time=int(time.time()), status=PENDING)
        s.add(order)
        s.flush()
        return view(order)


def get(trade_no: str) -> dict[str, Any] | None:
    with session_scope() as s:
        row = s.exec(select(TopUp).where(TopUp.trade_no == trade_no)).first()
        return view(row) if row is not None else None


def complete(
    trade_no: str,
    credit_of: Callable[[TopUp], int],
    *,
    provider: str | None = None,
    method: str = "",
    note: str = "online top-up",
    user_updates: dict[str, Any] | None = None,
) -> Completion:
    """Mark a pending order paid and credit its user, exactly once.

    `credit_of(order)` gives the quota from the stored order (never from the caller's message).
    `provider` refuses an order made through another provider (a Stripe event cannot complete an
    Epay order). `method` records the method the provider reports. Raises OrderNotFound, or a
    ServiceError for a provider mismatch or an order that is expired or failed.
    """
    if not trade_no:
        raise OrderNotFound()
    now = int(time.time())
    with session_scope() as s:
        conds = [col(TopUp.trade_no) == trade_no, col(TopUp.status) == PENDING]
        if provider is not None:
            conds.append(col(TopUp.payment_provider) == provider)
        values: dict[str, Any] = {"status": SUCCESS, "complete_time": now}
        if method:
            values["payment_method"] = method
        claimed = s.exec(update(TopUp).where(*conds).values(**values)).rowcount
        order = s.exec(select(TopUp).where(TopUp.trade_no == trade_no)).first()
        if order is None:
            raise OrderNotFound()
        repeat = _not_claimed(order, provider) if claimed != 1 else None
        if repeat is None:  # claimed: the credit commits with the claim or not at all
            quota = credit_of(order)
            _credit(s, order.user_id, quota, user_updates)
            result = view(order)
            owner = s.get(User, order.user_id)
            username = owner.username if owner is not None else ""
    if repeat is not None:  # paid before; the rebate check runs outside the order's transaction
        pay_invite_rebate(trade_no)
        return repeat
    after_credit(order.user_id, username, quota,
                  f"{note} succeeded: credited {activity_log.format_quota(quota)}, paid {result['money']:.2f}"
                  f" ({result['payment_method'] or result['payment_provider']}, order {trade_no})")
    log.info("top-up %s credited %d quota to user %d", trade_no, quota, result["user_id"])
    pay_invite_rebate(trade_no)
    return Completion(result, quota, False)


def pay_invite_rebate(trade_no: str) -> None:
    """The inviter's share of a paid order, once (also on a repeated notice: that recovers a rebate
    a crash kept from being paid after the invitee's credit). Never fails the payment's answer."""
    try:
        grant = invite_rebates.grant(trade_no)
    except Exception:
        log.exception("the invite rebate of order %s could not be paid", trade_no)
        return
    if grant is not None:
        after_credit(grant.inviter_id, grant.inviter_name, grant.quota,
                     f"invite rebate: {grant.percent.normalize():f}% of top-up #{grant.sequence} of invited user"
                     f" #{grant.invitee_id}, {activity_log.format_quota(grant.quota)}", LogType.SYSTEM)


def _not_claimed(order: TopUp, provider: str | None) -> Completion:
    if provider is not None and order.payment_provider != provider:
        raise ServiceError(msg("this order belongs to another payment provider"))
    if order.status == SUCCESS:
        return Completion(view(order), 0, True)
    raise ServiceError(msg("the order is {status}, not pending", status=order.status))


def _credit(s: Session, user_id: int, quota: int, user_updates: dict[str, Any] | None) -> None:
    """Add the quota inside the order's transaction: both happen or neither."""
    values: dict[str, Any] = {"quota": User.quota + quota, **(user_updates or {})}
    if s.exec(update(User).where(col(User.id) == user_id).values(**values)).rowcount != 1:
        raise ServiceError(msg("the order's user no longer exists"))


def after_credit(user_id: int, username: str, quota: int, content: str, log_type: LogType = LogType.TOPUP) -> None:
    """After a credit's commit: live balances and caches re-read the row, and the credit is logged."""
    ledger.forget_user(user_id)
    cache.invalidate_user(user_id)
    try:
        activity_log.record(user_id, username, log_type, content, quota)
    except Exception:  # the credit is committed; a lost log line must not turn it into an error
        log.exception("could not write the top-up log of user %d", user_id)


def expire(trade_no: str, provider: str, status: str = EXPIRED) -> bool:
    """A pending order of this provider becomes expired (or failed); True when it did."""
    with session_scope() as s:
        return s.exec(
            update(TopUp)
            .where(col(TopUp.trade_no) == trade_no, col(TopUp.status) == PENDING,
                   col(TopUp.payment_provider) == provider)
            .values(status=status)
        ).rowcount == 1


def reopen_failed(trade_no: str, provider: str) -> bool:
    """A failed order of this provider becomes pending again (its provider now reports it paid),
    so `complete()` can claim it exactly once; True when it did."""
    with session_scope() as s:
        return s.exec(
            update(TopUp)
            .where(col(TopUp.trade_no) == trade_no, col(TopUp.status) == FAILED,
                   col(TopUp.payment_provider) == provider)
            .values(status=PENDING)
        ).rowcount == 1


def admin_complete(trade_no: str) -> Completion:
    """An admin completes a pending order by hand (the provider's notice never came): the same
    exactly-once path, crediting what the order's provider would have credited."""
    def credit_of(order: TopUp) -> int:
        if order.payment_provider == PROVIDER_STRIPE:
            return payment_pricing.stripe_credit(order.money)
        if order.payment_provider == PROVIDER_CREEM:
            return payment_pricing.as_quota(Decimal(order.amount))
        return payment_pricing.epay_credit(order.amount)

    return complete(trade_no.strip(), credit_of, note="manual completion by an admin")


def _page(s: Session, conds: list, p: int, page_size: int) -> tuple[list[dict[str, Any]], int]:
    rows, total = page_of(s, TopUp, conds, p, page_size)
    return [view(r) for r in rows], total


def _keyword(keyword: str) -> list:
    if not keyword:
        return []
    match = [col(TopUp.trade_no).contains(keyword, autoescape=True)]
    if (row_id := keywords.as_id(keyword)) is not None:
        match.append(col(TopUp.id) == row_id)
    return [or_(*match)]


def list_user(user_id: int, keyword: str, p: int, page_size: int) -> tuple[list[dict[str, Any]], int]:
    conds = [TopUp.user_id == user_id, TopUp.create_time >= int(time.time()) - SELF_WINDOW, *_keyword(keyword)]
    with session_scope() as s:
        return _page(s, conds, p, page_size)


def list_all(keyword: str, p: int, page_size: int) -> tuple[list[dict[str, Any]], int]:
    with session_scope() as s:
        return _page(s, _keyword(keyword), p, page_size)


def require(trade_no: str) -> dict[str, Any]:
    order = get(trade_no)
    if order is None:
        raise NotFound(msg("top-up order not found"))
    return order
