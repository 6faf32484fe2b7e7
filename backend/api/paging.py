"""`?p&page_size` (1-based, default 10, at most 100). `size` is the older tokens spelling."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Query

DEFAULT_PAGE_SIZE = 10
MAX_PAGE_SIZE = 100


@dataclass
class Paging:
    p: int
    page_size: int


def _paging(
    p: Annotated[int, Query()] = 1,
    page_size: Annotated[int | None, Query()] = None,
    size: Annotated[int | None, Query()] = None,
) -> Paging:
    chosen = page_size or size or DEFAULT_PAGE_SIZE
    return Paging(p=max(p, 1), page_size=min(max(chosen, 1), MAX_PAGE_SIZE))


PagingDep = Annotated[Paging, Depends(_paging)]
