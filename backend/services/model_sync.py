"""`/api/models/sync_upstream` and its preview: fill missing model metadata from new-api's public
metadata catalogue (SYNC_UPSTREAM_BASE: `<base>/api/newapi/models.json` and `vendors.json`, or
`<base>/api/i18n/<en|zh|ja>/newapi/...` for a locale), fetched through `safe_fetch`.

A sync creates rows only for models that enabled channels serve and no row covers (`missing`), and
that the catalogue knows; it overwrites fields of existing rows only where the admin chose them in
the preview (`overwrite: [{model_name, fields}]`), and never touches a row whose `sync_official` is 0.
Vendors named by the catalogue are created on first use.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import orjson
from sqlmodel import col, select

from backend.config import get_settings
from backend.db import session_scope
from backend.models import ModelMeta, Vendor
from backend.services import model_meta, safe_fetch, vendors
from backend.services.errors import ServiceError, msg

LOCALES = ("en", "zh", "ja")
MAX_BYTES = 16 * 1024 * 1024
TIMEOUT_S = 15.0
OVERWRITABLE = ("description", "icon", "tags", "vendor", "name_rule", "status")


def source_urls(locale: str) -> tuple[str, str]:
    base = get_settings().SYNC_UPSTREAM_BASE.rstrip("/")
    loc = locale.strip().lower()
    prefix = f"{base}/api/i18n/{loc}/newapi" if loc in LOCALES else f"{base}/api/newapi"
    return f"{prefix}/models.json", f"{prefix}/vendors.json"


def _records(body: bytes) -> list[dict[str, Any]]:
    """new-api's envelope `{success, data: [...]}` or a bare array; records without a name dropped."""
    try:
        value = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise ServiceError(msg("获取上游模型失败: the catalogue is not JSON"), 502) from exc
    data = value.get("data") if isinstance(value, dict) else value
    if not isinstance(data, list):
        raise ServiceError(msg("获取上游模型失败: the catalogue has no data list"), 502)
    return [d for d in data if isinstance(d, dict)]


async def _fetch(url: str) -> list[dict[str, Any]]:
    try:
        got = await safe_fetch.fetch(url, timeout=TIMEOUT_S, max_bytes=MAX_BYTES, headers={"Accept": "application/json"})
    except ServiceError as exc:
        raise ServiceError(msg("获取上游模型失败: {message}", message=exc.detail), 502) from None
    if got.status != 200:
        raise ServiceError(msg("获取上游模型失败: status {status}", status=got.status), 502)
    return _records(got.body)


async def fetch_catalogue(locale: str) -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]], dict[str, Any]]:
    models_url, vendors_url = source_urls(locale)
    models, vendor_list = await asyncio.gather(_fetch(models_url), _fetch(vendors_url))
    by_model = {str(m["model_name"]): m for m in models if isinstance(m.get("model_name"), str) and m["model_name"]}
    by_vendor = {str(v["name"]): v for v in vendor_list if isinstance(v.get("name"), str) and v["name"]}
    source = {"locale": locale, "models_url": models_url, "vendors_url": vendors_url, "source": "official"}
    return by_model, by_vendor, source


def _text(up: dict[str, Any], key: str) -> str:
    value = up.get(key)
    return value if isinstance(value, str) else ""


def _int(up: dict[str, Any], key: str, default: int = 0) -> int:
    value = up.get(key)
    return value if isinstance(value, int) and not isinstance(value, bool) else default


def _status(up: dict[str, Any], fallback: int) -> int:
    return _int(up, "status") or fallback or 1


def _conflicts(local: ModelMeta, up: dict[str, Any], vendor_name: str) -> list[dict[str, Any]]:
    fields = []
    for f in ("description", "icon", "tags"):
        if (getattr(local, f) or "").strip() != _text(up, f).strip():
            fields.append({"field": f, "local": getattr(local, f) or "", "upstream": _text(up, f)})
    if vendor_name.strip() != _text(up, "vendor_name").strip():
        fields.append({"field": "vendor", "local": vendor_name, "upstream": _text(up, "vendor_name")})
    if local.name_rule != _int(up, "name_rule"):
        fields.append({"field": "name_rule", "local": local.name_rule, "upstream": _int(up, "name_rule")})
    if local.status != _status(up, local.status):
        fields.append({"field": "status", "local": local.status, "upstream": _int(up, "status")})
    return fields


async def preview(locale: str) -> dict[str, Any]:
    by_model, _by_vendor, source = await fetch_catalogue(locale)
    with session_scope() as s:
        missing = [n for n in model_meta.missing(s) if n in by_model]
        locals_ = s.exec(model_meta.live(select(ModelMeta), ModelMeta).where(
            col(ModelMeta.model_name).in_(list(by_model) or [""]), ModelMeta.sync_official != 0)).all()
        names = {v.id: v.name for v in s.exec(select(Vendor)).all()}
        conflicts = []
        for local in locals_:
            fields = _conflicts(local, by_model[local.model_name], names.get(local.vendor_id or 0, ""))
            if fields:
                conflicts.append({"model_name": local.model_name, "fields": fields})
    return {"missing": missing, "conflicts": conflicts, "source": source}


def _vendor_id(s: Any, name: str, by_vendor: dict[str, dict[str, Any]], created: list[int]) -> int:
    if not name:
        return 0
    found = vendors.find_by_name(s, name)
    if found is not None:
        return found.id or 0
    up = by_vendor.get(name, {})
    row = vendors.create({"name": name, "description": _text(up, "description"), "icon": _text(up, "icon"),
                          "status": _status(up, 1)}, s)
    created[0] += 1
    return int(row["id"])


async def sync(locale: str, overwrite: list[dict[str, Any]]) -> dict[str, Any]:
    by_model, by_vendor, source = await fetch_catalogue(locale)
    created_vendors = [0]
    created, updated, skipped = [], [], []
    now = int(time.time())
    with session_scope() as s:
        for name in model_meta.missing(s):
            up = by_model.get(name)
            if up is None:
                skipped.append(name)
                continue
            s.add(ModelMeta(model_name=name, description=_text(up, "description"), icon=_text(up, "icon")[:128],
                            tags=_text(up, "tags")[:255], name_rule=_int(up, "name_rule") if _int(up, "name_rule") in (0, 1, 2, 3) else 0,
                            vendor_id=_vendor_id(s, _text(up, "vendor_name"), by_vendor, created_vendors),
                            status=_status(up, 1), sync_official=1, created_time=now, updated_time=now))
            created.append(name)
        for item in overwrite:
            name, fields = item["model_name"], {f.strip().lower() for f in item["fields"]}
            up = by_model.get(name)
            local = s.exec(model_meta.live(select(ModelMeta), ModelMeta).where(ModelMeta.model_name == name)).first()
            if up is None or local is None or local.sync_official == 0 or not fields & set(OVERWRITABLE):
                continue
            for f in ("description", "icon", "tags"):
                if f in fields:
                    setattr(local, f, _text(up, f))
            if "vendor" in fields:
                local.vendor_id = _vendor_id(s, _text(up, "vendor_name"), by_vendor, created_vendors)
            if "name_rule" in fields and _int(up, "name_rule") in (0, 1, 2, 3):
                local.name_rule = _int(up, "name_rule")
            if "status" in fields:
                local.status = _status(up, local.status)
            local.updated_time = now
            s.add(local)
            updated.append(name)
    return {"created_models": len(created), "created_vendors": created_vendors[0], "updated_models": len(updated),
            "skipped_models": skipped, "created_list": created, "updated_list": updated, "source": source}
