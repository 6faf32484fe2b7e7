"""`/api/user/...` for administrators: list, search, create, edit, delete, manage."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from backend.api.deps import AdminUser
from backend.api.paging import PagingDep
from backend.api.responses import ok, page
from backend.api.types import ApiModel, Int64
from backend.models.enums import Role
from backend.services import user_admin
from backend.services.users import public_user

router = APIRouter(prefix="/user", tags=["user-admin"])


class CreateIn(ApiModel):
    username: str
    password: str
    display_name: str = ""
    role: Int64 = Role.COMMON


class UpdateIn(ApiModel):
    id: Int64
    username: str | None = None
    display_name: str | None = None
    password: str | None = None
    group: str | None = None
    quota: Int64 | None = None
    email: str | None = None
    remark: str | None = None


class ManageIn(ApiModel):
    id: Int64
    action: str


@router.get("/")
def list_users(_admin: AdminUser, paging: PagingDep) -> dict:
    items, total = user_admin.list_users(paging.p, paging.page_size)
    return page(items, total, paging.p, paging.page_size)


@router.get("/search")
def search_users(
    _admin: AdminUser, paging: PagingDep, keyword: Annotated[str, Query()] = "", group: Annotated[str, Query()] = ""
) -> dict:
    items, total = user_admin.search_users(keyword.strip(), group.strip(), paging.p, paging.page_size)
    return page(items, total, paging.p, paging.page_size)


@router.get("/{user_id:int}")
def get_user(admin: AdminUser, user_id: Int64) -> dict:
    return ok(user_admin.get_user(admin, user_id))


@router.post("/")
def create_user(admin: AdminUser, body: CreateIn) -> dict:
    user = user_admin.create(admin, body.username.strip(), body.password, body.display_name.strip(), body.role)
    return ok(public_user(user, admin=True))


@router.put("/")
def update_user(admin: AdminUser, body: UpdateIn) -> dict:
    fields = body.model_dump(exclude_unset=True, exclude_none=True, exclude={"id"})
    user = user_admin.update(admin, body.id, fields)
    return ok(public_user(user, admin=True))


@router.delete("/{user_id:int}")
def delete_user(admin: AdminUser, user_id: Int64) -> dict:
    user_admin.hard_delete(admin, user_id)
    return ok()


@router.post("/manage")
def manage_user(admin: AdminUser, body: ManageIn) -> dict:
    return ok(user_admin.manage(admin, body.id, body.action))
