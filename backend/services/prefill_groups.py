"""Prefill groups (`/api/prefill_group/*`): named, reusable lists the console pre-fills forms from
(a set of models for a channel, tags, endpoints). new-api's `prefill_groups`, soft-deleted."""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from backend.db import session_scope
from backend.models import PrefillGroup
from backend.services.errors import NotFound, ServiceError, msg
from backend.services.model_meta import live

TYPES = ("model", "tag", "endpoint")
DUPLICATE = msg("组名称已存在")
MAX_ITEMS = 5000


def as_dict(row: PrefillGroup) -> dict[str, Any]:
    return {"id": row.id, "name": row.name, "type": row.type, "items": row.items if row.items is not None else [],
            "description": row.description or "", "created_time": row.created_time, "updated_time": row.updated_time}


def list_groups(group_type: str = "") -> list[dict[str, Any]]:
    with session_scope() as s:
        q = live(select(PrefillGroup), PrefillGroup)
        if group_type:
            q = q.where(PrefillGroup.type == group_type)
        return [as_dict(r) for r in s.exec(q.order_by(col(PrefillGroup.updated_time).desc(),
                                                       col(PrefillGroup.id).desc())).all()]


def _checked(fields: dict[str, Any]) -> dict[str, Any]:
    name, type_ = (fields.get("name") or "").strip(), (fields.get("type") or "").strip()
    if not name or not type_:
        raise ServiceError(msg("组名称和类型不能为空"))
    if type_ not in TYPES:
        raise ServiceError(msg("type must be one of {types}", types=', '.join(TYPES)))
    items = fields.get("items")
    if items is None:
        items = []
    if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
        raise ServiceError(msg("items must be a JSON array of strings"))
    if len(items) > MAX_ITEMS:
        raise ServiceError(msg("at most {max_items} items", max_items=MAX_ITEMS))
    return {"name": name, "type": type_, "items": items, "description": fields.get("description") or ""}


def _taken(s: Session, name: str, except_id: int = 0) -> bool:
    q = live(select(func.count()).select_from(PrefillGroup), PrefillGroup).where(
        PrefillGroup.name == name, PrefillGroup.id != except_id)
    return s.exec(q).one() > 0


def create(fields: dict[str, Any]) -> dict[str, Any]:
    values = _checked(fields)
    now = int(time.time())
    with session_scope() as s:
        if _taken(s, values["name"]):
            raise ServiceError(DUPLICATE)
        row = PrefillGroup(**values, created_time=now, updated_time=now)
        s.add(row)
        s.flush()
        return as_dict(row)


def _get(s: Session, group_id: int) -> PrefillGroup:
    row = s.get(PrefillGroup, group_id)
    if row is None or row.deleted_at is not None:
        raise NotFound(msg("组不存在"))
    return row


def update(group_id: int, fields: dict[str, Any]) -> dict[str, Any]:
    values = _checked(fields)
    with session_scope() as s:
        row = _get(s, group_id)
        if _taken(s, values["name"], group_id):
            raise ServiceError(DUPLICATE)
        for k, v in values.items():
            setattr(row, k, v)
        row.updated_time = int(time.time())
        s.add(row)
        s.flush()
        return as_dict(row)


def delete(group_id: int) -> None:
    with session_scope() as s:
        row = _get(s, group_id)
        row.deleted_at = datetime.now()
        s.add(row)
