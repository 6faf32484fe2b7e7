"""`/api/models/*` (admins): model metadata, the models with none yet, and the sync from new-api's
public catalogue with its preview. `GET /api/models` without the slash is the channel-type list
(backend/api/misc.py), as in new-api."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import Field

from backend.api.deps import AdminUser
from backend.api.paging import PagingDep
from backend.api.responses import ok
from backend.api.types import ApiModel, Int64
from backend.services import model_meta, model_sync
from backend.services.errors import ServiceError, msg

router = APIRouter(prefix="/models", tags=["models"])


class ModelIn(ApiModel):
    id: Int64 | None = None
    model_name: str | None = Field(default=None, max_length=128)
    description: str | None = Field(default=None, max_length=65535)
    icon: str | None = Field(default=None, max_length=128)
    tags: str | None = Field(default=None, max_length=255)
    vendor_id: Int64 | None = Field(default=None, ge=0)
    endpoints: str | None = Field(default=None, max_length=65535)
    status: Int64 | None = None
    sync_official: Int64 | None = None
    name_rule: Int64 | None = None


class OverwriteIn(ApiModel):
    model_name: str = Field(max_length=128)
    fields: list[str] = Field(max_length=16)


class SyncIn(ApiModel):
    overwrite: list[OverwriteIn] = Field(default_factory=list, max_length=10000)
    locale: str = Field(default="", max_length=16)


@router.get("/sync_upstream/preview")
async def sync_preview(_admin: AdminUser, locale: Annotated[str, Query(max_length=16)] = "") -> dict:
    return ok(await model_sync.preview(locale))


@router.post("/sync_upstream")
async def sync_upstream(_admin: AdminUser, body: SyncIn | None = None) -> dict:
    body = body or SyncIn()
    return ok(await model_sync.sync(body.locale, [o.model_dump() for o in body.overwrite]))


@router.get("/missing")
def missing(_admin: AdminUser) -> dict:
    return ok(model_meta.missing())


@router.get("/")
def list_models(_admin: AdminUser, paging: PagingDep, status: str = "", sync_official: str = "") -> dict:
    return ok(model_meta.search("", "", status, sync_official, paging.p, paging.page_size))


@router.get("/search")
def search_models(_admin: AdminUser, paging: PagingDep, keyword: Annotated[str, Query(max_length=256)] = "",
                  vendor: Annotated[str, Query(max_length=128)] = "", status: str = "",
                  sync_official: str = "") -> dict:
    return ok(model_meta.search(keyword.strip(), vendor.strip(), status, sync_official, paging.p, paging.page_size))


@router.get("/{model_id:int}")
def get_model(_admin: AdminUser, model_id: Int64) -> dict:
    return ok(model_meta.get(model_id))


@router.post("/")
def create_model(_admin: AdminUser, body: ModelIn) -> dict:
    return ok(model_meta.create(body.model_dump(exclude={"id"})))


@router.put("/")
def update_model(_admin: AdminUser, body: ModelIn, status_only: Annotated[bool, Query()] = False) -> dict:
    if not body.id:
        raise ServiceError(msg("缺少模型 ID"))
    return ok(model_meta.update(body.id, body.model_dump(exclude={"id"}), status_only=status_only))


@router.delete("/{model_id:int}")
def delete_model(_admin: AdminUser, model_id: Int64) -> dict:
    model_meta.delete(model_id)
    return ok()
