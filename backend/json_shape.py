"""Reading JSON whose shape is someone else's (provider replies, webhook events): a member that
should be an object may be missing, null or of another type, and then reads as an empty object.
One typed helper, so callers get a `dict` mypy can follow instead of `Any | None`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def object_at(parent: Mapping[str, Any], key: str) -> dict[str, Any]:
    """`parent[key]` when it is a JSON object, else an empty one."""
    value = parent.get(key)
    return value if isinstance(value, dict) else {}


def list_at(parent: Mapping[str, Any], key: str) -> list[Any]:
    """`parent[key]` when it is a JSON array, else an empty one."""
    value = parent.get(key)
    return value if isinstance(value, list) else []
