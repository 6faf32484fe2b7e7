"""Vendors (`/api/vendors/*`): the makers models are grouped under (name, description, icon from
@lobehub/icons), soft-deleted as in new-api; lists carry each vendor's model count."""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_
from sqlmodel import Session, col, select

from backend.db import session_scope
from backend.models import Vendor
from backend.services.errors import NotFound, ServiceError, msg
from backend.services.model_meta import live, vendor_counts
from backend.services.paging import page_of_query

DUPLICATE = msg("供应商名称已存在")
EDITABLE = ("name", "description", "icon", "status")


def as_dict(row: Vendor, counts: dict[int, int] | None = None) -> dict[str, Any]:
    item = {"id": row.id, **{k: getattr(row, k) for k in EDITABLE}, "created_time": row.created_time,
            "updated_time": row.updated_time}
    if counts is not None:
        item["model_count"] = counts.get(row.id or 0, 0)
    return item


def search(keyword: str, p: int, page_size: int) -> dict[str, Any]:
    with session_scope() as s:
        q = live(select(Vendor), Vendor)
        if keyword:
            like = f"%{keyword}%"
            q = q.where(or_(col(Vendor.name).ilike(like), col(Vendor.description).ilike(like)))
        rows, total = page_of_query(s, q, p, page_size, (col(Vendor.id).desc(),))
        counts = vendor_counts(s)
        return {"items": [as_dict(r, counts) for r in rows], "total": total, "page": p, "page_size": page_size}


def _get(s: Session, vendor_id: int) -> Vendor:
    row = s.get(Vendor, vendor_id)
    if row is None or row.deleted_at is not None:
        raise NotFound(msg("供应商不存在"))
    return row


def get(vendor_id: int) -> dict[str, Any]:
    with session_scope() as s:
        return as_dict(_get(s, vendor_id))


def name_taken(s: Session, name: str, except_id: int = 0) -> bool:
    q = live(select(func.count()).select_from(Vendor), Vendor).where(Vendor.name == name, Vendor.id != except_id)
    return s.exec(q).one() > 0


def find_by_name(s: Session, name: str) -> Vendor | None:
    return s.exec(live(select(Vendor), Vendor).where(Vendor.name == name)).first()


def _name(fields: dict[str, Any]) -> str:
    name = (fields.get("name") or "").strip()
    if not name:
        raise ServiceError(msg("供应商名称不能为空"))
    return name


def create(fields: dict[str, Any], s: Session | None = None) -> dict[str, Any]:
    if s is None:
        with session_scope() as own:
            return create(fields, own)
    name = _name(fields)
    if name_taken(s, name):
        raise ServiceError(DUPLICATE)
    now = int(time.time())
    status = fields.get("status")
    row = Vendor(name=name, description=fields.get("description") or "", icon=fields.get("icon") or "",
                 status=status if status is not None else 1,
                 created_time=now, updated_time=now)
    s.add(row)
    s.flush()
    return as_dict(row)


def update(vendor_id: int, fields: dict[str, Any]) -> dict[str, Any]:
    name = _name(fields)
    with session_scope() as s:
        row = _get(s, vendor_id)
        if name_taken(s, name, vendor_id):
            raise ServiceError(DUPLICATE)
        row.name, row.description, row.icon = name, fields.get("description") or "", fields.get("icon") or ""
        row.status = int(fields.get("status") or 0)
        row.updated_time = int(time.time())
        s.add(row)
        s.flush()
        return as_dict(row)


def delete(vendor_id: int) -> None:
    with session_scope() as s:
        row = _get(s, vendor_id)
        row.deleted_at = datetime.now()
        s.add(row)
