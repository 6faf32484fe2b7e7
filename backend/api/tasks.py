"""`/api/mj/...` and `/api/task/...`: Midjourney drawing logs and async task logs (new-api's
controller/midjourney.go, controller/task.go). Admins see every row and filter by channel; a user
sees only their own rows, without the channel or anything private to the task."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from backend.api.deps import AdminUser, CurrentUser
from backend.api.paging import PagingDep
from backend.api.responses import page
from backend.api.types import Int64
from backend.services import tasks
from backend.services.tasks import MjFilter, TaskFilter

router = APIRouter(tags=["tasks"])


def _mj_filter(channel_id: Int64, mj_id: str, start_timestamp: Int64, end_timestamp: Int64) -> MjFilter:
    return MjFilter(channel_id=channel_id, mj_id=mj_id.strip(), start_timestamp=start_timestamp,
                    end_timestamp=end_timestamp)


@router.get("/mj/")
def all_mj(_admin: AdminUser, paging: PagingDep, channel_id: Annotated[Int64, Query()] = 0,
           mj_id: Annotated[str, Query()] = "", start_timestamp: Annotated[Int64, Query()] = 0,
           end_timestamp: Annotated[Int64, Query()] = 0) -> dict:
    f = _mj_filter(channel_id, mj_id, start_timestamp, end_timestamp)
    items, total = tasks.mj_page(f, (paging.p - 1) * paging.page_size, paging.page_size)
    return page(items, total, paging.p, paging.page_size)


@router.get("/mj/self")
def own_mj(user: CurrentUser, paging: PagingDep, mj_id: Annotated[str, Query()] = "",
           start_timestamp: Annotated[Int64, Query()] = 0, end_timestamp: Annotated[Int64, Query()] = 0) -> dict:
    f = _mj_filter(0, mj_id, start_timestamp, end_timestamp)
    f.user_id = user.id
    items, total = tasks.mj_page(f, (paging.p - 1) * paging.page_size, paging.page_size)
    return page(items, total, paging.p, paging.page_size)


def _task_filter(channel_id: Int64, platform: str, task_id: str, action: str, status: str,
                 start_timestamp: Int64, end_timestamp: Int64) -> TaskFilter:
    return TaskFilter(channel_id=channel_id, platform=platform.strip(), task_id=task_id.strip(),
                      action=action.strip(), status=status.strip(), start_timestamp=start_timestamp,
                      end_timestamp=end_timestamp)


@router.get("/task/")
def all_tasks(_admin: AdminUser, paging: PagingDep, channel_id: Annotated[Int64, Query()] = 0,
              platform: Annotated[str, Query()] = "", task_id: Annotated[str, Query()] = "",
              action: Annotated[str, Query()] = "", status: Annotated[str, Query()] = "",
              start_timestamp: Annotated[Int64, Query()] = 0, end_timestamp: Annotated[Int64, Query()] = 0) -> dict:
    f = _task_filter(channel_id, platform, task_id, action, status, start_timestamp, end_timestamp)
    items, total = tasks.task_page(f, (paging.p - 1) * paging.page_size, paging.page_size)
    return page(items, total, paging.p, paging.page_size)


@router.get("/task/self")
def own_tasks(user: CurrentUser, paging: PagingDep, platform: Annotated[str, Query()] = "",
              task_id: Annotated[str, Query()] = "", action: Annotated[str, Query()] = "",
              status: Annotated[str, Query()] = "", start_timestamp: Annotated[Int64, Query()] = 0,
              end_timestamp: Annotated[Int64, Query()] = 0) -> dict:
    f = _task_filter(0, platform, task_id, action, status, start_timestamp, end_timestamp)
    f.user_id = user.id
    items, total = tasks.task_page(f, (paging.p - 1) * paging.page_size, paging.page_size)
    return page(items, total, paging.p, paging.page_size)
