"""The last step of ratio sync: write the values an admin picked from the differences into our
ratio options (ModelRatio, CompletionRatio, CacheRatio, CreateCacheRatio, ModelPrice), as new-api's
console does with `PUT /api/option/` per table, here in one transaction."""

from __future__ import annotations

import math
from typing import Any

import orjson

from backend.services import options, ratios
from backend.services.errors import ServiceError, msg
from backend.services.site_info import EXPOSED_RATIOS


def apply(changes: list[dict[str, Any]]) -> int:
    """`changes` are `{model, field, value}` with new-api's field names; answers how many were set.
    Every other entry of a touched table keeps its current (effective) value."""
    tables: dict[str, dict[str, float]] = {}
    for change in changes:
        field, model, value = change.get("field"), str(change.get("model") or "").strip(), change.get("value")
        if field not in EXPOSED_RATIOS:
            raise ServiceError(msg("unknown ratio field: {field}", field=field))
        if not model:
            raise ServiceError(msg("a change names no model"))
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value < 0:
            raise ServiceError(msg("invalid value for {model} ({field})", model=model, field=field))
        key = EXPOSED_RATIOS[field]
        tables.setdefault(key, ratios.effective_map(key))[model] = float(value)
    if tables:
        options.replace({key: orjson.dumps(table).decode() for key, table in tables.items()}, [])
    return len(changes)
