"""The `options` table: every runtime setting, as strings, with new-api's keys and defaults.

Reads come from an in-memory snapshot (no DB I/O on the hot path), loaded at first use and at
start-up, refreshed every SYNC_FREQUENCY seconds and at once when any node changes an option.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from functools import lru_cache
from typing import Any

import orjson
from sqlmodel import select

from backend import lifecycle
from backend.cache import bus
from backend.config import get_settings
from backend.db import session_scope
from backend.models import Option
from backend.services.errors import ServiceError, msg
from backend.services.option_defaults import (
    BOOL_OPTIONS,
    DEFAULTS,
    JSON_ARRAY_OPTIONS,
    JSON_LIST_OPTIONS,
    JSON_OPTIONS,
    NUMERIC_OPTIONS,
)

log = logging.getLogger("newapi.options")
_SECRET_SUFFIXES = ("token", "secret", "key")
_lock = threading.Lock()
_values: dict[str, str] | None = None


def is_secret(key: str) -> bool:
    """new-api hides keys ending in Token/Secret/Key but compares case-sensitively, so it leaks
    `oidc.client_secret`; compare case-insensitively and also catch dotted keys."""
    last = key.rsplit(".", 1)[-1].lower()
    return last.endswith(_SECRET_SUFFIXES)


def load() -> None:
    """Read every row from the DB into the snapshot (defaults fill the gaps)."""
    global _values
    with session_scope() as s:
        rows = {o.key: (o.value or "") for o in s.exec(select(Option)).all()}
    with _lock:
        _values = {**DEFAULTS, **rows}
    _parsed_json.cache_clear()


def _snapshot() -> dict[str, str]:
    if _values is None:
        load()
    assert _values is not None
    return _values


def get(key: str) -> str:
    return _snapshot().get(key, DEFAULTS.get(key, ""))


def get_bool(key: str) -> bool:
    return get(key).strip().lower() in ("true", "1", "yes", "on")


def get_int(key: str, default: int = 0) -> int:
    try:
        return int(float(get(key)))
    except ValueError:
        return default


def get_float(key: str, default: float = 0.0) -> float:
    try:
        return float(get(key))
    except ValueError:
        return default


@lru_cache(maxsize=256)
def _parsed_json(raw: str) -> Any:
    return orjson.loads(raw) if raw.strip() else {}


def get_json(key: str) -> Any:
    """Parsed once per distinct value; callers must not mutate the result."""
    try:
        return _parsed_json(get(key))
    except orjson.JSONDecodeError:
        log.warning("option %s holds invalid JSON; using its default", key)
        return _parsed_json(DEFAULTS.get(key, "{}"))


def all_values() -> dict[str, str]:
    return dict(_snapshot())


def all_public() -> dict[str, str]:
    return {k: v for k, v in _snapshot().items() if not is_secret(k)}


def validate(key: str, value: str) -> None:
    if not key or len(key) > 255:
        raise ServiceError(msg("invalid option key"))
    if key in JSON_OPTIONS:
        try:
            parsed = orjson.loads(value)
        except orjson.JSONDecodeError as exc:
            raise ServiceError(msg("{key} must be valid JSON: {exc}", key=key, exc=exc)) from exc
        if key in JSON_LIST_OPTIONS:
            if not isinstance(parsed, list):
                raise ServiceError(msg("{key} must be a JSON array", key=key))
        elif not isinstance(parsed, dict):
            raise ServiceError(msg("{key} must be a JSON object", key=key))
        if key in ("ModelRatio", "CompletionRatio", "ModelPrice", "CacheRatio", "CreateCacheRatio", "GroupRatio",
                   "TopupGroupRatio", "payment_setting.amount_discount"):
            bad = [k for k, v in parsed.items() if not isinstance(v, int | float) or isinstance(v, bool) or v < 0]
            if bad:
                raise ServiceError(msg("{key}: values must be non-negative numbers (check {bad})", key=key, bad=', '.join(bad[:5])))
        if key == "ModelRequestRateLimitGroup":
            _check_rate_limit_groups(parsed)
    elif key in JSON_ARRAY_OPTIONS:
        _check_string_array(key, value)
    elif key in NUMERIC_OPTIONS:
        try:
            float(value)
        except ValueError as exc:
            raise ServiceError(msg("{key} must be a number", key=key)) from exc
    elif (key in BOOL_OPTIONS or key.endswith(("Enabled", ".enabled"))) and value.strip().lower() not in ("true", "false"):
        raise ServiceError(msg("{key} must be true or false", key=key))


def _check_rate_limit_groups(parsed: dict[str, Any]) -> None:
    """new-api's rule: `{"group": [count, successCount]}`, count >= 0, successCount >= 1."""
    for group, limits in parsed.items():
        if (not isinstance(limits, list) or len(limits) != 2
                or not all(isinstance(n, int) and not isinstance(n, bool) for n in limits)):
            raise ServiceError(msg("ModelRequestRateLimitGroup: {group} needs [total count, success count]", group=group))
        if limits[0] < 0 or limits[1] < 1 or max(limits) > 2**31 - 1:
            raise ServiceError(msg("ModelRequestRateLimitGroup: {group} needs a total count >= 0 and a success count >= 1", group=group))


def _check_string_array(key: str, value: str) -> None:
    try:
        parsed = orjson.loads(value)
    except orjson.JSONDecodeError as exc:
        raise ServiceError(msg("{key} must be a JSON array: {exc}", key=key, exc=exc)) from exc
    if not isinstance(parsed, list) or not all(isinstance(v, str) for v in parsed):
        raise ServiceError(msg("{key} must be a JSON array of strings", key=key))
    if key == "fetch_setting.allowed_ports":
        bad = [p for p in parsed if not _port_entry_ok(p)]
        if bad:
            raise ServiceError(msg("{key}: {bad!r} is not a port (1-65535) or a range like 8000-9000", key=key, bad=bad[0]))


def _port_entry_ok(entry: str) -> bool:
    low, sep, high = entry.strip().partition("-")
    try:
        start, end = int(low), int(high) if sep else int(low)
    except ValueError:
        return False
    return 1 <= start <= end <= 65535


def update(key: str, value: str) -> None:
    """Validate, write the DB and the snapshot, then tell every node."""
    validate(key, value)
    with session_scope() as s:
        row = s.get(Option, key)
        if row is None:
            s.add(Option(key=key, value=value))
        else:
            row.value = value
            s.add(row)
    with _lock:
        if _values is not None:
            _values[key] = value
    bus.publish("options", key)


def replace(updates: dict[str, str], removed: list[str]) -> None:
    """Write several options and delete others in one transaction (a migration must not stop half
    way), then reload the snapshot and tell every node. The values are validated first."""
    for key, value in updates.items():
        validate(key, value)
    with session_scope() as s:
        for key in removed:
            row = s.get(Option, key)
            if row is not None:
                s.delete(row)
        for key, value in updates.items():
            row = s.get(Option, key)
            if row is None:
                s.add(Option(key=key, value=value))
            else:
                row.value = value
                s.add(row)
    load()
    bus.publish("options", ",".join([*updates, *removed]))


def _on_remote_change(_key: str) -> None:
    load()


bus.subscribe("options", _on_remote_change)


async def _reload_in_thread() -> None:
    await asyncio.to_thread(load)


# Another node's change arrives through the bus at once; this is the safety net if Redis is absent.
_refresher = lifecycle.PeriodicJob("newapi-options-refresh", lambda: get_settings().SYNC_FREQUENCY, _reload_in_thread)


@lifecycle.on_startup
async def _start() -> None:
    await asyncio.to_thread(load)


@lifecycle.on_reset
def _reset() -> None:
    global _values
    _values = None
    _parsed_json.cache_clear()
