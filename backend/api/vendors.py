"""`/api/vendors/*` (admins): the vendors model metadata is grouped under."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import Field

from backend.api.deps import AdminUser
from backend.api.paging import PagingDep
from backend.api.responses import ok
from backend.api.types import ApiModel, Int64
from backend.services import vendors
from backend.services.errors import ServiceError, msg

router = APIRouter(prefix="/vendors", tags=["vendors"])


class VendorIn(ApiModel):
    id: Int64 | None = None
    name: str | None = Field(default=None, max_length=128)
    description: str | None = Field(default=None, max_length=65535)
    icon: str | None = Field(default=None, max_length=128)
    status: Int64 | None = None


@router.get("/")
def list_vendors(_admin: AdminUser, paging: PagingDep) -> dict:
    return ok(vendors.search("", paging.p, paging.page_size))


@router.get("/search")
def search_vendors(_admin: AdminUser, paging: PagingDep, keyword: Annotated[str, Query(max_length=256)] = "") -> dict:
    return ok(vendors.search(keyword.strip(), paging.p, paging.page_size))


@router.get("/{vendor_id:int}")
def get_vendor(_admin: AdminUser, vendor_id: Int64) -> dict:
    return ok(vendors.get(vendor_id))


@router.post("/")
def create_vendor(_admin: AdminUser, body: VendorIn) -> dict:
    return ok(vendors.create(body.model_dump(exclude={"id"})))


@router.put("/")
def update_vendor(_admin: AdminUser, body: VendorIn) -> dict:
    if not body.id:
        raise ServiceError(msg("缺少供应商 ID"))
    return ok(vendors.update(body.id, body.model_dump(exclude={"id"})))


@router.delete("/{vendor_id:int}")
def delete_vendor(_admin: AdminUser, vendor_id: Int64) -> dict:
    vendors.delete(vendor_id)
    return ok()
