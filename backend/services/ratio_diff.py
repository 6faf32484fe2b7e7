"""The comparison half of ratio sync (new-api's `buildDifferences`): given our ratio tables and the
tables other sites answered, which model/field pairs differ, and what each source says.

Pure functions over plain dicts, so the rules can be tested without a network. The shapes are
new-api's, because its console renders them: `differences[model][field] = {current, upstreams,
confidence}` where an upstream value is a number, or "same" when it equals ours, or null when that
source has no value.

We compare only the fields we can store (the five `/api/ratio_config` tables). new-api also syncs
image/audio ratios and tiered-expression billing, which this gateway does not price by; a model an
upstream bills by expression is left out (its numbers there are not its price).
"""

from __future__ import annotations

import math
from typing import Any

SYNC_FIELDS = ("model_ratio", "completion_ratio", "cache_ratio", "create_cache_ratio", "model_price")
BILLING_MODE = "billing_mode"
TIERED_EXPR = "tiered_expr"
EPSILON = 1e-9
# new-api's /api/pricing answers 37.5 / 1 for a model it has no price for (self-use mode): not a price
UNPRICED_RATIO, UNPRICED_COMPLETION = 37.5, 1.0

Tables = dict[str, dict[str, Any]]


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    number = float(value)
    return number if math.isfinite(number) and number >= 0 else None


def same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return abs(a - b) < EPSILON
    return a == b


def effective(data: dict[str, Any]) -> Tables:
    """The tables as prices (new-api's `effectivePricingSyncData`): finite non-negative numbers only;
    a fixed price hides the token ratios; a model with neither a price nor a ratio, or billed by an
    expression, is dropped."""
    raw_modes = data.get(BILLING_MODE)
    modes = raw_modes if isinstance(raw_modes, dict) else {}
    result: Tables = {}
    for field in SYNC_FIELDS:
        raw = data.get(field)
        entries: dict[str, Any] = {}
        if isinstance(raw, dict):
            for name, value in raw.items():
                number = _number(value)
                if number is not None and modes.get(name) != TIERED_EXPR:
                    entries[str(name)] = number
        result[field] = entries
    names = {name for entries in result.values() for name in entries}
    for name in names:
        fixed, token = name in result["model_price"], name in result["model_ratio"]
        for field in SYNC_FIELDS:
            if (not fixed and not token) or (fixed and field != "model_price"):
                result[field].pop(name, None)
    return result


def model_values(data: Tables, name: str) -> dict[str, Any]:
    return {field: data[field][name] for field in SYNC_FIELDS if name in data.get(field, {})}


def _confidence(sources: list[tuple[str, Tables]], models: set[str]) -> dict[str, dict[str, bool]]:
    """A source that sends both ratio tables (a /api/pricing answer) is not trusted for a model it
    lists at exactly 37.5 / 1: that is new-api's placeholder for "no price set"."""
    result: dict[str, dict[str, bool]] = {}
    for name, data in sources:
        ratios, completions = data["model_ratio"], data["completion_ratio"]
        check = bool(ratios) and bool(completions)
        result[name] = {
            m: not (check and m in ratios and m in completions and same(ratios[m], UNPRICED_RATIO)
                    and same(completions[m], UNPRICED_COMPLETION))
            for m in models
        }
    return result


def differences(local: Tables, sources: list[tuple[str, Tables]]) -> dict[str, dict[str, dict[str, Any]]]:
    """Every model/field where some source disagrees with us (or has a value where we have none).
    Sources that agree with us everywhere are left out of every entry, as new-api does."""
    models = {m for field in SYNC_FIELDS for m in local[field]}
    for _name, data in sources:
        models |= {m for field in SYNC_FIELDS for m in data[field]}
    trust = _confidence(sources, models)
    found: dict[str, dict[str, dict[str, Any]]] = {}
    for model in models:
        for field in SYNC_FIELDS:
            current = local[field].get(model)
            upstreams: dict[str, Any] = {}
            confidence: dict[str, bool] = {}
            has_value = differs = False
            for name, data in sources:
                value = data[field].get(model)
                if value is not None:
                    has_value = True
                    if current is not None and same(current, value):
                        value = "same"
                    else:
                        differs = True
                elif current is None:
                    value = "same"
                upstreams[name] = value
                confidence[name] = trust[name][model]
            if differs or (current is None and has_value):
                found.setdefault(model, {})[field] = {"current": current, "upstreams": upstreams,
                                                      "confidence": confidence}
    return _prune(found)


def _prune(found: dict[str, dict[str, dict[str, Any]]]) -> dict[str, dict[str, dict[str, Any]]]:
    with_diff = {src for fields in found.values() for item in fields.values()
                 for src, value in item["upstreams"].items() if value is not None and value != "same"}
    for model in list(found):
        fields = found[model]
        for field in list(fields):
            item = fields[field]
            for src in list(item["upstreams"]):
                if src not in with_diff:
                    del item["upstreams"][src]
                    item["confidence"].pop(src, None)
            if not item["upstreams"] or all(v == "same" for v in item["upstreams"].values()):
                del fields[field]
        if not fields:
            del found[model]
    return found


def prices(local: Tables, sources: list[tuple[str, Tables]], diffs: dict[str, Any]) -> dict[str, Any]:
    """new-api's `prices`: for each differing model, our values and each source's whole price."""
    out: dict[str, Any] = {}
    for model in diffs:
        upstreams = {}
        for name, data in sources:
            candidate = model_values(data, model)
            if "model_ratio" in candidate or "model_price" in candidate:
                upstreams[name] = candidate
        out[model] = {"current": model_values(local, model), "upstreams": upstreams}
    return out
