"""`/api/redemption/...`: admins mint, edit and delete redemption codes."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from backend.api.deps import AdminUser
from backend.api.paging import PagingDep
from backend.api.responses import ApiResponse, paged
from backend.api.types import Int64
from backend.models.schemas.base import Page
from backend.models.schemas.redemption import RedemptionCreate, RedemptionPublic, RedemptionUpdate
from backend.services import redemptions
from backend.services.errors import ServiceError, msg

router = APIRouter(prefix="/redemption", tags=["redemption"])


@router.get("/")
def list_codes(_admin: AdminUser, paging: PagingDep) -> ApiResponse[Page[RedemptionPublic]]:
    items, total = redemptions.list_codes(paging.p, paging.page_size)
    return paged(items, total, paging.p, paging.page_size)


@router.get("/search")
def search_codes(
    _admin: AdminUser, paging: PagingDep, keyword: Annotated[str, Query()] = ""
) -> ApiResponse[Page[RedemptionPublic]]:
    items, total = redemptions.search_codes(keyword.strip(), paging.p, paging.page_size)
    return paged(items, total, paging.p, paging.page_size)


@router.get("/{code_id:int}")
def get_code(_admin: AdminUser, code_id: Int64) -> ApiResponse[RedemptionPublic]:
    return ApiResponse(data=redemptions.get_code(code_id))


@router.post("/")
def create_codes(admin: AdminUser, body: RedemptionCreate) -> ApiResponse[list[str]]:
    """`data`: the new codes."""
    return ApiResponse(data=redemptions.create_codes(admin.id, body))


@router.put("/")
def update_code(
    _admin: AdminUser, body: RedemptionUpdate, status_only: Annotated[bool, Query()] = False
) -> ApiResponse[RedemptionPublic]:
    if body.id is None:
        raise ServiceError(msg("id is required"))
    return ApiResponse(data=redemptions.update_code(body.id, body, status_only=status_only))


@router.delete("/invalid")
def delete_invalid(_admin: AdminUser) -> ApiResponse[int]:
    return ApiResponse(data=redemptions.delete_invalid())


@router.delete("/{code_id:int}")
def delete_code(_admin: AdminUser, code_id: Int64) -> ApiResponse[None]:
    redemptions.delete_code(code_id)
    return ApiResponse(data=None)
