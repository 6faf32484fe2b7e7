"""Input types for the management API: every integer a caller sends must fit the database.

The columns are 64-bit; a larger number used to reach the driver and fail there as a 500. Bounding
it in the request model turns it into the usual 400 with the field's name, before any work is done.
`ApiModel` also refuses NaN and Infinity, which Python's JSON parser accepts but no field means.
"""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import Request
from pydantic import BaseModel, ConfigDict, Field

from backend.services.errors import ServiceError

INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1
OUT_OF_RANGE = "a number in the request is out of range"

Int64 = Annotated[int, Field(ge=INT64_MIN, le=INT64_MAX)]


class ApiModel(BaseModel):
    """Base of every request body model under /api."""

    model_config = ConfigDict(allow_inf_nan=False)


def _refuse_constant(name: str) -> float:
    raise ServiceError(f"{name} is not a number this API accepts")


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
        raise ServiceError("the JSON body is nested too deeply") from None
    except ValueError:
        return  # not JSON at all: the route's own validation says so in its words
