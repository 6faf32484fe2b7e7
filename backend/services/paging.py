"""One page of rows and the total they come from: the query every list and search shares.

Pages are 1-based (new-api's `p`), newest first unless the caller orders otherwise. The count and
the page run in the caller's session, so both see the same snapshot.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

from sqlalchemy import func
from sqlmodel import Session, SQLModel, col, select

M = TypeVar("M", bound=SQLModel)


def offset_of(p: int, page_size: int) -> int:
    return (max(p, 1) - 1) * page_size


def page_of(s: Session, model: type[M], conds: Sequence[Any], p: int, page_size: int,
            order: Sequence[Any] | None = None) -> tuple[list[M], int]:
    """Rows of `model` matching `conds`, page `p` of `page_size`, ordered by `order` (default: id
    descending); and how many match in all."""
    total = s.exec(select(func.count()).select_from(model).where(*conds)).one()
    ordering = order if order is not None else (col(model.id).desc(),)  # type: ignore[attr-defined]
    rows = s.exec(select(model).where(*conds).order_by(*ordering).offset(offset_of(p, page_size)).limit(page_size))
    return list(rows.all()), int(total)


def page_of_query(s: Session, query: Any, p: int, page_size: int, order: Sequence[Any]) -> tuple[list[Any], int]:
    """The same for a query built elsewhere (joins, soft-delete filters): counted as a subquery."""
    total = s.exec(select(func.count()).select_from(query.subquery())).one()
    rows = s.exec(query.order_by(*order).offset(offset_of(p, page_size)).limit(page_size))
    return list(rows.all()), int(total)
