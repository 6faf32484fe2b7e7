"""`/api/redemption/...`: admins mint, edit and delete redemption codes."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from backend.api.deps import AdminUser
from backend.api.paging import PagingDep
from backend.api.responses import ok, page
from backend.api.types import ApiModel, Int64
from backend.services import redemptions
from backend.services.errors import ServiceError

router = APIRouter(prefix="/redemption", tags=["redemption"])


class CreateIn(ApiModel):
    name: str
    quota: Int64
    count: Int64 = 1
    expired_time: Int64 = 0


class UpdateIn(ApiModel):
    id: Int64 | None = None
    name: str | None = None
    quota: Int64 | None = None
    status: Int64 | None = None
    expired_time: Int64 | None = None


@router.get("/")
def list_codes(_admin: AdminUser, paging: PagingDep) -> dict:
    items, total = redemptions.list_codes(paging.p, paging.page_size)
    return page(items, total, paging.p, paging.page_size)


@router.get("/search")
def search_codes(_admin: AdminUser, paging: PagingDep, keyword: Annotated[str, Query()] = "") -> dict:
    items, total = redemptions.search_codes(keyword.strip(), paging.p, paging.page_size)
    return page(items, total, paging.p, paging.page_size)


@router.get("/{code_id:int}")
def get_code(_admin: AdminUser, code_id: Int64) -> dict:
    return ok(redemptions.get_code(code_id))


@router.post("/")
def create_codes(admin: AdminUser, body: CreateIn) -> dict:
    return ok(redemptions.create_codes(admin.id, body.name.strip(), body.quota, body.count, body.expired_time))


@router.put("/")
def update_code(_admin: AdminUser, body: UpdateIn, status_only: Annotated[bool, Query()] = False) -> dict:
    if body.id is None:
        raise ServiceError("id is required")
    fields = body.model_dump(exclude={"id"}, exclude_none=True)
    return ok(redemptions.update_code(body.id, fields, status_only=status_only))


@router.delete("/invalid")
def delete_invalid(_admin: AdminUser) -> dict:
    return ok(redemptions.delete_invalid())


@router.delete("/{code_id:int}")
def delete_code(_admin: AdminUser, code_id: Int64) -> dict:
    redemptions.delete_code(code_id)
    return ok()
