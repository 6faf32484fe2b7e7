"""Redemption codes on the wire. Admins mint codes to hand out, so their lists show the code
itself (as new-api's do); only admins reach these routes."""

from __future__ import annotations

from pydantic import BaseModel

from backend.models.schemas.base import ApiModel, Int64


class RedemptionCreate(ApiModel):
    """`POST /api/redemption/`: `count` codes worth `quota` each."""

    name: str
    quota: Int64
    count: Int64 = 1
    expired_time: Int64 = 0


class RedemptionUpdate(ApiModel):
    """`PUT /api/redemption/` (with `?status_only=true` only `status` is read)."""

    id: Int64 | None = None
    name: str | None = None
    quota: Int64 | None = None
    status: Int64 | None = None
    expired_time: Int64 | None = None


class RedemptionPublic(BaseModel):
    id: int | None
    user_id: int | None
    key: str | None  # the code an admin hands out
    status: int | None
    name: str | None
    quota: int | None
    created_time: int | None
    redeemed_time: int | None
    used_user_id: int | None
    expired_time: int | None
