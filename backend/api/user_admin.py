"""`/api/user/...` for administrators: list, search, create, edit, delete, manage."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from backend.api.deps import AdminUser
from backend.api.paging import PagingDep
from backend.api.responses import ApiResponse, paged
from backend.api.types import Int64
from backend.models.schemas.base import Page
from backend.models.schemas.user import UserAdminPublic, UserCreate, UserManage, UserRoleStatus, UserUpdate
from backend.services import user_admin

router = APIRouter(prefix="/user", tags=["user-admin"])


@router.get("/")
def list_users(_admin: AdminUser, paging: PagingDep) -> ApiResponse[Page[UserAdminPublic]]:
    items, total = user_admin.list_users(paging.p, paging.page_size)
    return paged(items, total, paging.p, paging.page_size)


@router.get("/search")
def search_users(
    _admin: AdminUser, paging: PagingDep, keyword: Annotated[str, Query()] = "", group: Annotated[str, Query()] = ""
) -> ApiResponse[Page[UserAdminPublic]]:
    items, total = user_admin.search_users(keyword.strip(), group.strip(), paging.p, paging.page_size)
    return paged(items, total, paging.p, paging.page_size)


@router.get("/{user_id:int}")
def get_user(admin: AdminUser, user_id: Int64) -> ApiResponse[UserAdminPublic]:
    return ApiResponse(data=user_admin.get_user(admin, user_id))


@router.post("/")
def create_user(admin: AdminUser, body: UserCreate) -> ApiResponse[UserAdminPublic]:
    return ApiResponse(data=user_admin.create(admin, body))


@router.put("/")
def update_user(admin: AdminUser, body: UserUpdate) -> ApiResponse[UserAdminPublic]:
    return ApiResponse(data=user_admin.update(admin, body))


@router.delete("/{user_id:int}")
def delete_user(admin: AdminUser, user_id: Int64) -> ApiResponse[None]:
    user_admin.hard_delete(admin, user_id)
    return ApiResponse(data=None)


@router.post("/manage")
def manage_user(admin: AdminUser, body: UserManage) -> ApiResponse[UserRoleStatus]:
    return ApiResponse(data=user_admin.manage(admin, body.id, body.action))
