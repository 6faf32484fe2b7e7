"""`?p&page_size` (1-based, default 10, at most 100). `size` is the older tokens spelling."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Query

from backend.api.types import Int64

DEFAULT_PAGE_SIZE = 10
MAX_PAGE_SIZE = 100


@dataclass
class Paging:
    p: Int64
    page_size: Int64


def _paging(
    p: Annotated[Int64, Query()] = 1,
    page_size: Annotated[Int64 | None, Query()] = None,
    size: Annotated[Int64 | None, Query()] = None,
) -> Paging:
    chosen = page_size or size or DEFAULT_PAGE_SIZE
    return Paging(p=max(p, 1), page_size=min(max(chosen, 1), MAX_PAGE_SIZE))


PagingDep = Annotated[Paging, Depends(_paging)]
