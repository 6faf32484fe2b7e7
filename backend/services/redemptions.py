"""Redemption codes: admins mint them, users redeem them for quota exactly once."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, delete, or_, update
from sqlmodel import Session, col, select

from backend import cache
from backend.db import session_scope
from backend.models import Redemption, User
from backend.models.enums import LogType, RedemptionStatus
from backend.models.schemas.redemption import RedemptionCreate, RedemptionPublic, RedemptionUpdate
from backend.services import activity_log, keywords, ledger
from backend.services.errors import NotFound, ServiceError, msg
from backend.services.paging import page_of

MAX_COUNT = 100


def view(r: Redemption) -> RedemptionPublic:
    return RedemptionPublic(
        id=r.id, user_id=r.user_id, key=r.key, status=r.status, name=r.name, quota=r.quota,
        created_time=r.created_time, redeemed_time=r.redeemed_time, used_user_id=r.used_user_id,
        expired_time=r.expired_time,
    )


_LIVE: ColumnElement[bool] = col(Redemption.deleted_at).is_(None)


def _page(s: Session, conds: list[Any], p: int, page_size: int) -> tuple[list[RedemptionPublic], int]:
    rows, total = page_of(s, Redemption, conds, p, page_size)
    return [view(r) for r in rows], total


def list_codes(p: int, page_size: int) -> tuple[list[RedemptionPublic], int]:
    with session_scope() as s:
        return _page(s, [_LIVE], p, page_size)


def search_codes(keyword: str, p: int, page_size: int) -> tuple[list[RedemptionPublic], int]:
    conds = [_LIVE]
    if keyword:
        match = [col(Redemption.name).contains(keyword, autoescape=True), col(Redemption.key) == keyword]
        if (row_id := keywords.as_id(keyword)) is not None:
            match.append(col(Redemption.id) == row_id)
        conds.append(or_(*match))
    with session_scope() as s:
        return _page(s, conds, p, page_size)


def _get(s: Session, code_id: int) -> Redemption:
    r = s.get(Redemption, code_id)
    if r is None or r.deleted_at is not None:
        raise NotFound(msg("redemption code not found"))
    return r


def get_code(code_id: int) -> RedemptionPublic:
    with session_scope() as s:
        return view(_get(s, code_id))


def _check(name: str, quota: int, expired_time: int) -> None:
    if not 1 <= len(name) <= 20:
        raise ServiceError(msg("the name must be 1 to 20 characters long"))
    if quota <= 0:
        raise ServiceError(msg("quota must be positive"))
    if expired_time != 0 and expired_time <= int(time.time()):
        raise ServiceError(msg("the expiry time must be in the future, or 0 for never"))


def create_codes(creator_id: int, data: RedemptionCreate) -> list[str]:
    """`count` new codes (the name trimmed); returns the codes, in order."""
    name, quota, count, expired_time = data.name.strip(), data.quota, data.count, data.expired_time
    _check(name, quota, expired_time)
    if not 1 <= count <= MAX_COUNT:
        raise ServiceError(msg("count must be between 1 and {max_count}", max_count=MAX_COUNT))
    now = int(time.time())
    keys = [uuid.uuid4().hex for _ in range(count)]
    with session_scope() as s:
        for key in keys:
            s.add(Redemption(user_id=creator_id, key=key, status=RedemptionStatus.ENABLED, name=name, quota=quota,
                             created_time=now, expired_time=expired_time))
    return keys


def update_code(code_id: int, data: RedemptionUpdate, *, status_only: bool = False) -> RedemptionPublic:
    """The fields sent (not None) change; with `status_only` only the status."""
    fields = data.model_dump(exclude={"id"}, exclude_none=True)
    with session_scope() as s:
        r = _get(s, code_id)
        status = fields.get("status", r.status)
        if status_only or "status" in fields:
            if r.status == RedemptionStatus.USED:
                raise ServiceError(msg("a used code cannot change status"))
            if status not in (RedemptionStatus.ENABLED, RedemptionStatus.DISABLED):
                raise ServiceError(msg("status must be 1 (enabled) or 2 (disabled)"))
            r.status = int(status)
        if not status_only:
            name = fields.get("name", r.name)
            quota = fields.get("quota", r.quota)
            expired = fields.get("expired_time", r.expired_time)
            _check(name, quota, expired if expired != r.expired_time else 0)
            r.name, r.quota, r.expired_time = name, quota, expired
        s.add(r)
    return view(r)


def delete_code(code_id: int) -> None:
    with session_scope() as s:
        r = _get(s, code_id)
        r.deleted_at = datetime.now(UTC).replace(tzinfo=None)
        s.add(r)


def delete_invalid() -> int:
    """Remove codes that can no longer be redeemed: used, disabled or expired."""
    now = int(time.time())
    with session_scope() as s:
        result = s.exec(
            delete(Redemption).where(
                or_(
                    col(Redemption.status).in_([RedemptionStatus.USED, RedemptionStatus.DISABLED]),
                    and_(col(Redemption.expired_time) != 0, col(Redemption.expired_time) < now),
                )
            )
        )
        return result.rowcount or 0


def redeem(user: User, key: str) -> int:
    """Spend a code once. The compare-and-set UPDATE makes concurrent redemptions of one code
    credit exactly one caller, on every database, without a process-wide lock."""
    key = key.strip()
    if not key:
        raise ServiceError(msg("please enter a redemption code"))
    now = int(time.time())
    with session_scope() as s:
        # The write comes first so SQLite takes its write lock before reading anything.
        claimed = s.exec(
            update(Redemption)
            .where(
                col(Redemption.key) == key,
                _LIVE,
                col(Redemption.status) == RedemptionStatus.ENABLED,
                or_(col(Redemption.expired_time) == 0, col(Redemption.expired_time) > now),
            )
            .values(status=RedemptionStatus.USED, used_user_id=user.id, redeemed_time=now)
        ).rowcount
        r = s.exec(select(Redemption).where(col(Redemption.key) == key, _LIVE)).first()
        if r is None:
            raise ServiceError(msg("invalid redemption code"))
        if claimed != 1:
            if r.status == RedemptionStatus.ENABLED:
                raise ServiceError(msg("this redemption code has expired"))
            raise ServiceError(msg("this redemption code has already been used or is disabled"))
        s.execute(update(User).where(col(User.id) == user.id).values(quota=User.quota + r.quota))
        quota, code_id = r.quota, r.id
    ledger.forget_user(user.id)
    cache.invalidate_user(user.id)
    activity_log.record(
        user.id, user.username, LogType.TOPUP,
        f"redeemed code #{code_id} for {activity_log.format_quota(quota)}",
        other={"event": "redeem", "code_id": code_id, "quota": quota},
    )
    return quota

