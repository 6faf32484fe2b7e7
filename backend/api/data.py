"""`/api/data/...`: hourly quota_data rows for the dashboard charts."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from backend.api.deps import AdminUser, CurrentUser
from backend.api.responses import ok
from backend.api.types import Int64
from backend.services import dashboard_data

router = APIRouter(prefix="/data", tags=["data"])


@router.get("/")
def all_data(
    _admin: AdminUser,
    start_timestamp: Annotated[Int64, Query()] = 0,
    end_timestamp: Annotated[Int64, Query()] = 0,
    username: Annotated[str, Query()] = "",
) -> dict:
    return ok(dashboard_data.query(start_timestamp, end_timestamp, username=username.strip()))


@router.get("/self")
def own_data(
    user: CurrentUser, start_timestamp: Annotated[Int64, Query()] = 0, end_timestamp: Annotated[Int64, Query()] = 0
) -> dict:
    return ok(dashboard_data.query(start_timestamp, end_timestamp, user_id=user.id))
