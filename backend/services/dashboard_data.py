"""quota_data rows (per user, model and hour) for the dashboard charts."""

from __future__ import annotations

from typing import Any

from sqlmodel import col, select

from backend.db import session_scope
from backend.models import QuotaData
from backend.services.errors import ServiceError, msg

MAX_SELF_RANGE = 30 * 24 * 3600


def view(q: QuotaData) -> dict[str, Any]:
    return {
        "id": q.id, "user_id": q.user_id, "username": q.username, "model_name": q.model_name,
        "created_at": q.created_at, "token_used": q.token_used, "count": q.count, "quota": q.quota,
    }


def query(start: int, end: int, *, username: str = "", user_id: int | None = None) -> list[dict[str, Any]]:
    if end and start and end < start:
        raise ServiceError(msg("end_timestamp is before start_timestamp"))
    conds = []
    if user_id is not None:
        if not start or not end or end - start > MAX_SELF_RANGE:
            raise ServiceError(msg("the time range must be given and at most 30 days"))
        conds.append(QuotaData.user_id == user_id)
    elif username:
        conds.append(QuotaData.username == username)
    if start:
        conds.append(QuotaData.created_at >= start)
    if end:
        conds.append(QuotaData.created_at <= end)
    with session_scope() as s:
        rows = s.exec(select(QuotaData).where(*conds).order_by(col(QuotaData.created_at), col(QuotaData.id))).all()
    return [view(r) for r in rows]
