"""`/api/prefill_group/*` (admins): reusable lists of models, tags or endpoints (`?type=` filters)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import Field

from backend.api.deps import AdminUser
from backend.api.responses import ok
from backend.api.types import ApiModel, Int64
from backend.services import prefill_groups
from backend.services.errors import ServiceError, msg

router = APIRouter(prefix="/prefill_group", tags=["prefill_group"])


class PrefillGroupIn(ApiModel):
    id: Int64 | None = None
    name: str | None = Field(default=None, max_length=64)
    type: str | None = Field(default=None, max_length=32)
    items: Any = None
    description: str | None = Field(default=None, max_length=255)


@router.get("/")
def list_groups(_admin: AdminUser, type: Annotated[str, Query(max_length=32)] = "") -> dict:  # noqa: A002
    return ok(prefill_groups.list_groups(type.strip()))


@router.post("/")
def create_group(_admin: AdminUser, body: PrefillGroupIn) -> dict:
    return ok(prefill_groups.create(body.model_dump(exclude={"id"})))


@router.put("/")
def update_group(_admin: AdminUser, body: PrefillGroupIn) -> dict:
    if not body.id:
        raise ServiceError(msg("缺少组 ID"))
    return ok(prefill_groups.update(body.id, body.model_dump(exclude={"id"})))


@router.delete("/{group_id:int}")
def delete_group(_admin: AdminUser, group_id: Int64) -> dict:
    prefill_groups.delete(group_id)
    return ok()
