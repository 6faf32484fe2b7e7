"""What every contract model shares: the request base, 64-bit integers, a page of rows."""

from __future__ import annotations

from typing import Annotated, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field

INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1

# The columns are 64-bit; a larger number used to reach the driver and fail there as a 500.
# Bounding it in the request model turns it into the usual 400 with the field's name.
Int64 = Annotated[int, Field(ge=INT64_MIN, le=INT64_MAX)]

T = TypeVar("T")


class ApiModel(BaseModel):
    """Base of every request body model under /api: NaN and Infinity, which Python's JSON parser
    accepts but no field means, are refused."""

    model_config = ConfigDict(allow_inf_nan=False)


class Page(BaseModel, Generic[T]):
    """One page of a list route: `{items, total, page, page_size}` (page 1-based)."""

    items: list[T]
    total: int
    page: int
    page_size: int
