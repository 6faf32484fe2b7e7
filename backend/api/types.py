"""Input hygiene for the management API: every integer a caller sends must fit the database.

`ApiModel` and `Int64` (bounded request models) live with the contracts in
`backend/models/schemas/base.py`; this module adds the check of every JSON body, typed or not.
"""

from __future__ import annotations

import json

from fastapi import Request

from backend.models.schemas.base import INT64_MAX, INT64_MIN, ApiModel, Int64
from backend.services.errors import ServiceError, msg

__all__ = ["INT64_MAX", "INT64_MIN", "OUT_OF_RANGE", "ApiModel", "Int64", "strict_json_body"]

OUT_OF_RANGE = msg("a number in the request is out of range")


def _refuse_constant(name: str) -> float:
    raise ServiceError(msg("{name} is not a number this API accepts", name=name))


def _bounded_int(text: str) -> int:
    value = int(text)
    if not INT64_MIN <= value <= INT64_MAX:
        raise ServiceError(OUT_OF_RANGE)
    return value


async def strict_json_body(request: Request) -> None:
    """Every JSON body under /api, whatever its route's model: no NaN/Infinity, no integer wider
    than the 64-bit columns, no nesting deep enough to exhaust the parser. Free-form bodies (a
    channel, an option) are covered as well as typed ones. The body is already read and cached by
    FastAPI when this runs, and management bodies are small, so the second parse is cheap."""
    if request.method not in ("POST", "PUT", "PATCH", "DELETE"):
        return
    if "json" not in request.headers.get("content-type", ""):
        return
    raw = await request.body()
    if not raw.strip():
        return
    try:
        json.loads(raw, parse_constant=_refuse_constant, parse_int=_bounded_int)
    except RecursionError:
        raise ServiceError(msg("the JSON body is nested too deeply")) from None
    except ValueError:
        return  # not JSON at all: the route's own validation says so in its words
