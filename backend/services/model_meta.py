"""Model metadata (`/api/models/*`): descriptions, icons, tags, vendors and endpoints the pricing
page and model picker show, plus the facts new-api adds when listing (channels serving a model,
groups that can use it, how it is billed) and the models that have no metadata yet (`missing`).

A row names one model exactly, or a family by prefix / substring / suffix (`name_rule`); a rule row
lists the served models it matches. Rows are soft-deleted as in new-api.
"""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import func, or_
from sqlmodel import Session, col, select

from backend.db import session_scope
from backend.models import Ability, Channel, ModelMeta, Vendor
from backend.models.model_meta import NAME_RULE_CONTAINS, NAME_RULE_EXACT, NAME_RULE_PREFIX, NAME_RULE_SUFFIX
from backend.services import ratios
from backend.services.errors import NotFound, ServiceError, msg
from backend.services.paging import page_of_query

DUPLICATE = msg("模型名称已存在")
EDITABLE = ("model_name", "description", "icon", "tags", "vendor_id", "endpoints", "status", "sync_official",
            "name_rule")


def live(query: Any, model: Any) -> Any:
    """Rows not soft-deleted (GORM's default scope)."""
    return query.where(col(model.deleted_at).is_(None))


def matches(rule: int, pattern: str, name: str) -> bool:
    pattern = pattern.strip()
    if not pattern:
        return False
    if rule == NAME_RULE_PREFIX:
        return name.startswith(pattern)
    if rule == NAME_RULE_CONTAINS:
        return pattern in name
    if rule == NAME_RULE_SUFFIX:
        return name.endswith(pattern)
    return name == pattern


def as_dict(row: ModelMeta) -> dict[str, Any]:
    return {"id": row.id, **{k: getattr(row, k) for k in EDITABLE}, "created_time": row.created_time,
            "updated_time": row.updated_time}


def _served(s: Session) -> dict[str, dict[str, Any]]:
    """model -> {channels: {(name, type)}, groups: {group}} over enabled abilities."""
    rows = s.exec(select(Ability.model, Ability.group, Channel.name, Channel.type)
                  .join(Channel, col(Channel.id) == col(Ability.channel_id))
                  .where(Ability.enabled == True)).all()  # noqa: E712
    served: dict[str, dict[str, Any]] = {}
    for model, group, name, type_ in rows:
        entry = served.setdefault(model, {"channels": set(), "groups": set()})
        entry["channels"].add((name, type_))
        entry["groups"].add(group)
    return served


def _quota_type(name: str) -> int:
    return 1 if ratios.model_price(name) is not None else 0


def enrich(s: Session, rows: list[ModelMeta]) -> list[dict[str, Any]]:
    """new-api's enrichModels: bound channels, enable groups and quota types; for a rule row, the
    union over the served models it matches, and those names."""
    served = _served(s) if rows else {}
    out = []
    for row in rows:
        item = as_dict(row)
        if row.name_rule == NAME_RULE_EXACT:
            names = [row.model_name] if row.model_name in served else []
        else:
            names = sorted(n for n in served if matches(row.name_rule, row.model_name, n))
            item["matched_models"], item["matched_count"] = names, len(names)
        channels = {c for n in names for c in served[n]["channels"]}
        item["bound_channels"] = [{"name": n, "type": t} for n, t in sorted(channels)]
        item["enable_groups"] = sorted({g for n in names for g in served[n]["groups"]})
        item["quota_types"] = sorted({_quota_type(n) for n in names or [row.model_name]})
        out.append(item)
    return out


def vendor_counts(s: Session) -> dict[int, int]:
    rows = s.exec(live(select(ModelMeta.vendor_id, func.count()), ModelMeta).group_by(ModelMeta.vendor_id)).all()
    return {int(v or 0): int(n) for v, n in rows}


def _filtered(keyword: str, vendor: str, status: str, sync_official: str) -> Any:
    q = live(select(ModelMeta), ModelMeta)
    if keyword:
        like = f"%{keyword}%"
        q = q.where(or_(col(ModelMeta.model_name).ilike(like), col(ModelMeta.description).ilike(like),
                        col(ModelMeta.tags).ilike(like)))
    if vendor:
        if vendor.isdigit():
            q = q.where(ModelMeta.vendor_id == int(vendor))
        else:
            q = q.join(Vendor, col(Vendor.id) == col(ModelMeta.vendor_id)).where(
                col(Vendor.name).ilike(f"%{vendor}%"), col(Vendor.deleted_at).is_(None))
    for field, raw in (("status", status), ("sync_official", sync_official)):
        if raw.strip().lstrip("-").isdigit():
            q = q.where(getattr(ModelMeta, field) == int(raw))
    return q


def search(keyword: str, vendor: str, status: str, sync_official: str, p: int, page_size: int) -> dict[str, Any]:
    with session_scope() as s:
        q = _filtered(keyword, vendor, status, sync_official)
        rows, total = page_of_query(s, q, p, page_size, (col(ModelMeta.id).desc(),))
        return {"items": enrich(s, rows), "total": total, "page": p, "page_size": page_size,
                "vendor_counts": vendor_counts(s)}


def _get(s: Session, model_id: int) -> ModelMeta:
    row = s.get(ModelMeta, model_id)
    if row is None or row.deleted_at is not None:
        raise NotFound(msg("模型不存在"))
    return row


def get(model_id: int) -> dict[str, Any]:
    with session_scope() as s:
        return enrich(s, [_get(s, model_id)])[0]


def _check(fields: dict[str, Any]) -> None:
    if "model_name" in fields:
        fields["model_name"] = (fields["model_name"] or "").strip()
        if not fields["model_name"]:
            raise ServiceError(msg("模型名称不能为空"))
    if (fields.get("name_rule") or 0) not in (NAME_RULE_EXACT, NAME_RULE_PREFIX, NAME_RULE_CONTAINS, NAME_RULE_SUFFIX):
        raise ServiceError(msg("name_rule must be 0 (exact), 1 (prefix), 2 (contains) or 3 (suffix)"))
    endpoints = fields.get("endpoints")
    if endpoints:
        try:
            orjson.loads(endpoints)
        except orjson.JSONDecodeError as exc:
            raise ServiceError(msg("endpoints must be JSON")) from exc


def name_taken(s: Session, name: str, except_id: int = 0) -> bool:
    q = live(select(func.count()).select_from(ModelMeta), ModelMeta).where(
        ModelMeta.model_name == name, ModelMeta.id != except_id)
    return s.exec(q).one() > 0


def create(fields: dict[str, Any]) -> dict[str, Any]:
    _check(fields)
    if not fields.get("model_name"):
        raise ServiceError(msg("模型名称不能为空"))
    now = int(time.time())
    with session_scope() as s:
        if name_taken(s, fields["model_name"]):
            raise ServiceError(DUPLICATE)
        row = ModelMeta(**{k: v for k, v in fields.items() if k in EDITABLE and v is not None},
                        created_time=now, updated_time=now)
        s.add(row)
        s.flush()
        return enrich(s, [row])[0]


def update(model_id: int, fields: dict[str, Any], *, status_only: bool = False) -> dict[str, Any]:
    """All editable fields at once, as new-api's Update (Select all columns); `status_only`
    changes nothing but the status (the list's toggle)."""
    with session_scope() as s:
        row = _get(s, model_id)
        if status_only:
            row.status = int(fields.get("status") or 0)
        else:
            _check(fields)
            if not fields.get("model_name"):
                raise ServiceError(msg("模型名称不能为空"))
            if name_taken(s, fields["model_name"], model_id):
                raise ServiceError(DUPLICATE)
            for k in EDITABLE:
                default = "" if k in ("description", "icon", "tags", "endpoints") else 0
                setattr(row, k, fields.get(k) if fields.get(k) is not None else default)
        row.updated_time = int(time.time())
        s.add(row)
        s.flush()
        return enrich(s, [row])[0]


def delete(model_id: int) -> None:
    with session_scope() as s:
        row = _get(s, model_id)
        row.deleted_at = datetime.now()
        s.add(row)


def missing(s: Session | None = None) -> list[str]:
    """Models some enabled channel serves that no metadata row covers (exactly or by its rule)."""
    if s is None:
        with session_scope() as own:
            return missing(own)
    enabled = sorted(set(s.exec(select(Ability.model).where(Ability.enabled == True).distinct()).all()))  # noqa: E712
    metas = s.exec(live(select(ModelMeta.model_name, ModelMeta.name_rule), ModelMeta)).all()
    return [n for n in enabled if not any(matches(rule or 0, name, n) for name, rule in metas)]
