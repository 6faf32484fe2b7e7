"""Turn other sites' price lists into ratio tables (the `model_ratio` / `completion_ratio` / ...
maps `/api/ratio_config` answers), for ratio sync. new-api's conversions, same rounding:

- new-api's `/api/pricing` list: per-call models give `model_price`, the others their ratios;
- OpenRouter `/v1/models`: USD per token; ratio = price x 1000 x 500 (ratio 1 = $0.002 / 1K tokens);
- models.dev `/api.json`: USD per 1M tokens; ratio = input / 2; a model several providers list takes
  the cheapest non-zero input price.
"""

from __future__ import annotations

import math
from typing import Any

import orjson

from backend.services.errors import ServiceError, msg

USD = 500.0  # new-api's ratio_setting.USD: quota ratio units per US dollar per 1K tokens
MODELS_DEV_BASE = 1000.0
_OPTIONAL = ("cache_ratio", "create_cache_ratio", "image_ratio", "audio_ratio", "audio_completion_ratio")


def _round(value: float) -> float:
    return round(value * 1e6) / 1e6


def _num(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def from_pricing_list(items: list[Any]) -> dict[str, Any]:
    tables: dict[str, dict[str, Any]] = {}

    def put(field: str, name: str, value: Any) -> None:
        number = _num(value)
        if number is not None:
            tables.setdefault(field, {})[name] = number

    for item in items:
        if not isinstance(item, dict) or not item.get("model_name"):
            continue
        name = str(item["model_name"])
        if item.get("billing_mode") == "tiered_expr":
            tables.setdefault("billing_mode", {})[name] = "tiered_expr"
            tables.setdefault("billing_expr", {})[name] = str(item.get("billing_expr") or "")
            continue
        if item.get("quota_type") == 1:
            put("model_price", name, item.get("model_price"))
        else:
            put("model_ratio", name, item.get("model_ratio"))
            put("completion_ratio", name, item.get("completion_ratio"))
        for field in _OPTIONAL:
            put(field, name, item.get(field))
    return tables


def _loads(body: bytes, what: str) -> Any:
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        raise ServiceError(msg("failed to decode {what} response", what=what)) from None


def _price(raw: Any) -> float | None:
    try:
        value = float(raw)
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None


def from_openrouter(body: bytes) -> dict[str, Any]:
    doc = _loads(body, "OpenRouter")
    rows = doc.get("data") if isinstance(doc, dict) else None
    ratio: dict[str, float] = {}
    completion: dict[str, float] = {}
    cache: dict[str, float] = {}
    for m in rows if isinstance(rows, list) else []:
        if not isinstance(m, dict) or not isinstance(m.get("pricing"), dict):
            continue
        pricing, mid = m["pricing"], str(m.get("id") or "")
        prompt, comp = _price(pricing.get("prompt")), _price(pricing.get("completion"))
        if not mid or (prompt is None and comp is None):
            continue
        prompt, comp = prompt or 0.0, comp or 0.0
        if prompt < 0 or comp < 0:  # -1 marks variable pricing
            continue
        if prompt == 0 and comp == 0:
            ratio[mid] = 0.0
            continue
        if prompt <= 0:
            continue
        ratio[mid] = _round(prompt * 1000 * USD)
        completion[mid] = _round(comp / prompt)
        cached = _price(pricing.get("input_cache_read")) if pricing.get("input_cache_read") not in (None, "") else None
        if cached is not None and cached >= 0:
            cache[mid] = _round(cached / prompt)
    return {k: v for k, v in (("model_ratio", ratio), ("completion_ratio", completion), ("cache_ratio", cache)) if v}


def _cost(value: Any) -> float | None:
    number = _num(value)
    return number if number is not None and math.isfinite(number) and number >= 0 else None


def _candidate(provider: str, cost: Any) -> tuple[str, float, float | None, float | None] | None:
    if not isinstance(cost, dict) or cost.get("input") is None:
        return None
    inp = _cost(cost.get("input"))
    out = _cost(cost.get("output")) if cost.get("output") is not None else None
    if inp is None or (cost.get("output") is not None and out is None) or (inp == 0 and out is not None and out > 0):
        return None
    return provider, inp, out, _cost(cost.get("cache_read"))


def _better(current: tuple[str, float, Any, Any], new: tuple[str, float, Any, Any]) -> bool:
    if (current[1] > 0) != (new[1] > 0):
        return new[1] > 0
    if new[1] > 0 and abs(new[1] - current[1]) >= 1e-9:
        return new[1] < current[1]
    return new[0] < current[0]


def from_models_dev(body: bytes) -> dict[str, Any]:
    doc = _loads(body, "models.dev")
    if not isinstance(doc, dict) or not doc:
        raise ServiceError(msg("empty models.dev response"))
    chosen: dict[str, tuple[str, float, float | None, float | None]] = {}
    for provider in sorted(doc):
        models = doc[provider].get("models") if isinstance(doc[provider], dict) else None
        if not isinstance(models, dict):
            continue
        for name in sorted(models):
            entry = models[name]
            cand = _candidate(provider, entry.get("cost") if isinstance(entry, dict) else None)
            if cand is not None and (name not in chosen or _better(chosen[name], cand)):
                chosen[name] = cand
    if not chosen:
        raise ServiceError(msg("no valid models.dev pricing entries found"))
    ratio: dict[str, float] = {}
    completion: dict[str, float] = {}
    cache: dict[str, float] = {}
    for name, (_p, inp, out, cached) in chosen.items():
        if inp == 0:
            ratio[name] = 0.0
            continue
        ratio[name] = _round(inp * USD / MODELS_DEV_BASE)
        if out is not None:
            completion[name] = _round(out / inp)
        if cached is not None:
            cache[name] = _round(cached / inp)
    return {k: v for k, v in (("model_ratio", ratio), ("completion_ratio", completion), ("cache_ratio", cache)) if v}
