"""A channel's `param_override`, applied to the converted upstream body.

Two forms, like new-api:
- simple: `{"temperature": 0.2, "model": "x"}` - top-level keys overwrite the body's;
- operations: `{"operations": [{"path": "messages.0.content", "mode": "prepend", "value": "...",
  "conditions": [{"path": "model", "mode": "prefix", "value": "gpt-4"}], "logic": "AND"}]}` with
  modes set (keep_origin), delete, move and copy (from/to), append, prepend, and the string
  modes trim_prefix, trim_suffix, ensure_prefix, ensure_suffix (value), trim_space, to_lower,
  to_upper, replace and regex_replace (from -> to, Go-style $1 groups); conditions full / prefix /
  suffix / contains, combined with OR unless logic is AND. Paths are dot-separated; numeric parts
  index arrays, negative ones from the end.

A malformed operations list falls back to the simple form. An operation that cannot apply
(appending text to a number, a path through a scalar) raises ParamOverrideError: the channel is
misconfigured and the request must not go out half-rewritten.
"""

from __future__ import annotations

import copy
import re
from typing import Any

import orjson

_MISSING = object()


class ParamOverrideError(ValueError):
    pass


def _parts(path: object) -> list[str]:
    """A path is whatever the channel's JSON holds: checked here, so callers pass it on as is."""
    if not isinstance(path, str) or not path.strip():
        raise ParamOverrideError(f"invalid path {path!r}")
    return path.strip().split(".")


def _index(container: list, part: str) -> int | None:
    try:
        i = int(part)
    except ValueError:
        return None
    i = i + len(container) if i < 0 else i
    return i if 0 <= i < len(container) else None


def _get(root: Any, path: object) -> Any:
    cur = root
    for part in _parts(path):
        if isinstance(cur, dict):
            cur = cur.get(part, _MISSING)
        elif isinstance(cur, list):
            i = _index(cur, part)
            cur = cur[i] if i is not None else _MISSING
        else:
            return _MISSING
        if cur is _MISSING:
            return _MISSING
    return cur


def _parent(root: Any, path: object, create: bool) -> tuple[Any, str]:
    parts = _parts(path)
    cur = root
    for part in parts[:-1]:
        if isinstance(cur, dict):
            if part not in cur:
                if not create:
                    return None, parts[-1]
                cur[part] = {}
            elif not isinstance(cur[part], dict | list):
                if not create:
                    return None, parts[-1]
                raise ParamOverrideError(f"{path}: {part} is a {type(cur[part]).__name__}, not an object")
            cur = cur[part]
        elif isinstance(cur, list):
            i = _index(cur, part)
            if i is None:
                if not create:
                    return None, parts[-1]
                raise ParamOverrideError(f"{path}: index {part} out of range")
            cur = cur[i]
        else:
            raise ParamOverrideError(f"{path}: cannot descend into a {type(cur).__name__}")
    return cur, parts[-1]


def _set(root: Any, path: object, value: Any) -> None:
    parent, last = _parent(root, path, create=True)
    if isinstance(parent, dict):
        parent[last] = value
        return
    if isinstance(parent, list):
        i = _index(parent, last)
        if i is None:
            raise ParamOverrideError(f"{path}: index {last} out of range")
        parent[i] = value
        return
    raise ParamOverrideError(f"{path}: cannot set inside a {type(parent).__name__}")


def _delete(root: Any, path: object) -> Any:
    parent, last = _parent(root, path, create=False)
    if isinstance(parent, dict):
        return parent.pop(last, _MISSING)
    if isinstance(parent, list):
        i = _index(parent, last)
        return parent.pop(i) if i is not None else _MISSING
    return _MISSING


def _combine(current: Any, value: Any, append: bool, path: object) -> Any:
    if isinstance(current, str) and isinstance(value, str):
        return current + value if append else value + current
    if isinstance(current, list):
        extra = value if isinstance(value, list) else [value]
        return current + extra if append else extra + current
    if isinstance(current, dict) and isinstance(value, dict):
        return {**current, **value} if append else {**value, **current}
    raise ParamOverrideError(f"{path}: cannot {'append' if append else 'prepend'} {type(value).__name__} "
                             f"to {type(current).__name__}")  # fmt: skip


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    return orjson.dumps(value).decode()


def _matches(root: Any, cond: Any) -> bool:
    if not isinstance(cond, dict):
        return False
    actual = _get(root, cond.get("path", ""))
    if actual is _MISSING:
        return False
    have, want = _text(actual), _text(cond.get("value"))
    mode = cond.get("mode") or "full"
    if mode == "prefix":
        return have.startswith(want)
    if mode == "suffix":
        return have.endswith(want)
    if mode == "contains":
        return want in have
    return have == want


def _applies(root: Any, op: dict) -> bool:
    conditions = op.get("conditions") or []
    if not conditions:
        return True
    results = (_matches(root, c) for c in conditions)
    return all(results) if str(op.get("logic", "OR")).upper() == "AND" else any(results)


_GO_GROUP = re.compile(r"\$\{?(\d+)\}?")


def _string_op(mode: str, text: str, op: dict) -> str:
    given = op.get("value")
    value = given if isinstance(given, str) else ""
    if mode == "trim_prefix":
        return text.removeprefix(value)
    if mode == "trim_suffix":
        return text.removesuffix(value)
    if mode == "ensure_prefix":
        return text if text.startswith(value) else value + text
    if mode == "ensure_suffix":
        return text if text.endswith(value) else text + value
    if mode == "trim_space":
        return text.strip()
    if mode == "to_lower":
        return text.lower()
    if mode == "to_upper":
        return text.upper()
    old, new = op.get("from"), op.get("to")
    if not isinstance(old, str) or not isinstance(new, str):
        raise ParamOverrideError(f"{mode}: from and to must be strings")
    if mode == "replace":
        return text.replace(old, new)
    try:
        return re.sub(old, _GO_GROUP.sub(r"\\g<\1>", new), text)
    except re.error as err:
        raise ParamOverrideError(f"regex_replace: {err}") from err


STRING_MODES = {"trim_prefix", "trim_suffix", "ensure_prefix", "ensure_suffix", "trim_space", "to_lower",
                "to_upper", "replace", "regex_replace"}  # fmt: skip


def _apply(root: dict, op: dict) -> None:
    mode = op.get("mode") or "set"
    if mode in ("move", "copy"):
        value = _delete(root, op.get("from")) if mode == "move" else _get(root, op.get("from"))
        if value is not _MISSING:
            _set(root, op.get("to"), copy.deepcopy(value))
        return
    path = op.get("path")
    if mode in STRING_MODES:
        current = _get(root, path)
        if current is _MISSING:
            return
        if not isinstance(current, str):
            raise ParamOverrideError(f"{path}: {mode} needs a string, found {type(current).__name__}")
        _set(root, path, _string_op(mode, current, op))
        return
    if mode == "delete":
        _delete(root, path)
    elif mode == "set":
        if not (op.get("keep_origin") is True and _get(root, path) is not _MISSING):
            _set(root, path, copy.deepcopy(op.get("value")))
    elif mode in ("append", "prepend"):
        current = _get(root, path)
        value = copy.deepcopy(op.get("value"))
        _set(root, path, value if current is _MISSING else _combine(current, value, mode == "append", path))
    else:
        raise ParamOverrideError(f"unknown param_override mode {mode!r}")


def apply_param_override(body: dict, override: Any) -> dict:
    """The body with the channel's override applied (the given body may be edited in place)."""
    if not isinstance(override, dict) or not override:
        return body
    operations = override.get("operations")
    if isinstance(operations, list) and all(isinstance(op, dict) for op in operations):
        for op in operations:
            if _applies(body, op):
                _apply(body, op)
        return body
    body.update(override)
    return body
