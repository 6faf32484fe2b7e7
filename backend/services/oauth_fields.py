"""Reading a custom provider's user info: field paths (`sub`, `data.user.id`, `groups.0`, new-api's
gjson paths in their common dotted form) and the optional access policy (new-api's JSON:
`{logic: and|or, conditions: [{field, op, value}], groups: [...]}`)."""

from __future__ import annotations

import json
from typing import Any

from backend.services.errors import ServiceError, msg

_MISSING = object()
OPS = ("eq", "ne", "gt", "gte", "lt", "lte", "in", "not_in", "contains", "not_contains", "exists", "not_exists")


def _get(body: Any, path: str) -> Any:
    current = body
    for part in path.split("."):
        if isinstance(current, dict) and part in current:
            current = current[part]
        elif isinstance(current, list) and part.isdigit() and int(part) < len(current):
            current = current[int(part)]
        else:
            return _MISSING
    return current


def extract(body: Any, path: str) -> Any:
    """The value at `path`, or None."""
    if not path:
        return None
    value = _get(body, path.strip())
    return None if value is _MISSING else value


def parse_policy(raw: str | None) -> dict[str, Any] | None:
    """The policy, validated; None when empty. ServiceError (for the admin) when malformed."""
    if not raw or not raw.strip():
        return None
    try:
        policy = json.loads(raw)
    except ValueError as exc:
        raise ServiceError(msg("the access policy is not valid JSON")) from exc
    _validate(policy)
    return policy


def _validate(policy: Any) -> None:
    if not isinstance(policy, dict):
        raise ServiceError(msg("the access policy must be a JSON object"))
    logic = str(policy.get("logic") or "and").lower()
    if logic not in ("and", "or"):
        raise ServiceError(msg("the access policy's logic must be and or or"))
    conditions, groups = policy.get("conditions") or [], policy.get("groups") or []
    if not isinstance(conditions, list) or not isinstance(groups, list) or not (conditions or groups):
        raise ServiceError(msg("the access policy needs at least one condition or group"))
    for cond in conditions:
        if not isinstance(cond, dict) or not str(cond.get("field") or "").strip():
            raise ServiceError(msg("every access policy condition needs a field"))
        op = str(cond.get("op") or "").strip().lower()
        if op not in OPS:
            raise ServiceError(msg("unsupported access policy operator: {op}", op=op))
        if op in ("in", "not_in") and not isinstance(cond.get("value"), list):
            raise ServiceError(msg("the value of an {op} condition must be a list", op=op))
    for group in groups:
        _validate(group)


def _num(v: Any) -> float | None:
    if isinstance(v, bool):
        return None
    if isinstance(v, int | float):
        return float(v)
    if isinstance(v, str):
        try:
            return float(v)
        except ValueError:
            return None
    return None


def _cmp(left: Any, right: Any) -> int:
    ln, rn = _num(left), _num(right)
    if ln is not None and rn is not None:
        return (ln > rn) - (ln < rn)
    ls, rs = str(left).strip(), str(right).strip()
    return (ls > rs) - (ls < rs)


def _contains(current: Any, value: Any) -> bool:
    if isinstance(current, list):
        return any(_cmp(item, value) == 0 for item in current)
    return isinstance(current, str) and str(value) in current


def _condition(body: Any, cond: dict[str, Any]) -> bool:
    raw = _get(body, str(cond["field"]).strip())
    exists = raw is not _MISSING
    current = None if raw is _MISSING else raw
    op = str(cond["op"]).strip().lower()
    value: Any = cond.get("value")
    match op:
        case "exists":
            return exists
        case "not_exists":
            return not exists
        case "eq":
            return exists and _cmp(current, value) == 0
        case "ne":
            return not exists or _cmp(current, value) != 0
        case "gt" | "gte" | "lt" | "lte":
            if not exists:
                return False
            c = _cmp(current, value)
            return {"gt": c > 0, "gte": c >= 0, "lt": c < 0, "lte": c <= 0}[op]
        case "in":
            return exists and any(_cmp(current, v) == 0 for v in value)
        case "not_in":
            return not exists or all(_cmp(current, v) != 0 for v in value)
        case "contains":
            return exists and _contains(current, value)
        case "not_contains":
            return not exists or not _contains(current, value)
    return False


def allowed(policy: dict[str, Any], body: Any) -> bool:
    results = [_condition(body, c) for c in policy.get("conditions") or []]
    results += [allowed(g, body) for g in policy.get("groups") or []]
    return any(results) if str(policy.get("logic") or "and").lower() == "or" else all(results)


def enforce_policy(raw: str | None, body: Any, denied_message: str, provider_name: str) -> None:
    """Refuse (403) a person the provider's access policy does not admit."""
    try:
        policy = parse_policy(raw)
    except ServiceError as exc:
        raise ServiceError(msg("{provider_name} login is misconfigured (access policy)", provider_name=provider_name)) from exc
    if policy is not None and not allowed(policy, body):
        # The admin's own words (config, not a catalog entry) when set; passed through as written.
        message = (denied_message or "").replace("{{provider}}", provider_name).strip()
        if message:
            raise ServiceError(msg("{message}", message=message), 403)
        raise ServiceError(msg("your {provider_name} account is not allowed to sign in here",
                               provider_name=provider_name), 403)
