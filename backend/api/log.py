"""`/api/log/...`: usage logs. Admins see all rows; users their own, with channel details hidden."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from backend.api.deps import AdminUser, CurrentUser
from backend.api.paging import PagingDep
from backend.api.responses import ApiResponse, ok, paged
from backend.api.types import Int64
from backend.models.schemas.base import Page
from backend.models.schemas.log import AdminLogRow, LogRow, LogStat
from backend.services import (
    log_queries,
    log_retention,  # noqa: F401 (registers the daily pruning job)
)
from backend.services.errors import ServiceError, msg
from backend.services.log_queries import LogFilter

router = APIRouter(prefix="/log", tags=["log"])


def _filter(
    type: Annotated[Int64, Query()] = 0,  # noqa: A002  (new-api's parameter name)
    start_timestamp: Annotated[Int64, Query()] = 0,
    end_timestamp: Annotated[Int64, Query()] = 0,
    model_name: Annotated[str, Query()] = "",
    username: Annotated[str, Query()] = "",
    token_name: Annotated[str, Query()] = "",
    channel: Annotated[Int64, Query()] = 0,
    group: Annotated[str, Query()] = "",
) -> LogFilter:
    return LogFilter(type=type, start_timestamp=start_timestamp, end_timestamp=end_timestamp,
                     model_name=model_name.strip(), username=username.strip(), token_name=token_name.strip(),
                     channel=channel, group=group.strip())


FilterDep = Annotated[LogFilter, Depends(_filter)]


@router.get("/")
def all_logs(_admin: AdminUser, paging: PagingDep, f: FilterDep) -> ApiResponse[Page[AdminLogRow]]:
    items, total = log_queries.admin_page(f, paging.p, paging.page_size)
    return paged(items, total, paging.p, paging.page_size)


@router.get("/self")
def own_logs(user: CurrentUser, paging: PagingDep, f: FilterDep) -> ApiResponse[Page[LogRow]]:
    f.user_id = user.id
    items, total = log_queries.page(f, paging.p, paging.page_size, admin=False)
    return paged(items, total, paging.p, paging.page_size)


@router.get("/stat")
def all_stat(_admin: AdminUser, f: FilterDep) -> ApiResponse[LogStat]:
    return ApiResponse(data=log_queries.stat(f))


@router.get("/self/stat")
def own_stat(user: CurrentUser, f: FilterDep) -> ApiResponse[LogStat]:
    f.user_id = user.id
    return ApiResponse(data=log_queries.stat(f))


@router.get("/search")
def search_all(_admin: AdminUser, keyword: Annotated[str, Query()] = "") -> ApiResponse[list[LogRow]]:
    return ApiResponse(data=log_queries.search(keyword.strip(), user_id=None, admin=True))


@router.get("/self/search")
def search_own(user: CurrentUser, keyword: Annotated[str, Query()] = "") -> ApiResponse[list[LogRow]]:
    return ApiResponse(data=log_queries.search(keyword.strip(), user_id=user.id, admin=False))


@router.delete("/")
def delete_old(_admin: AdminUser, target_timestamp: Annotated[Int64, Query()] = 0) -> dict:
    if target_timestamp <= 0:
        raise ServiceError(msg("target_timestamp is required"))
    return ok(log_queries.delete_before(target_timestamp))


@router.get("/token")
def token_logs(key: Annotated[str, Query()] = "") -> ApiResponse[list[LogRow]]:
    """Public: whoever holds an API key may read that key's own logs (CORS is opened in backend/relay_cors.py)."""
    if not key.strip():
        raise ServiceError(msg("key is required"))
    return ApiResponse(data=log_queries.token_logs(key))
