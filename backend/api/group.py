"""`/api/group/`: the group names defined by GroupRatio."""

from __future__ import annotations

from fastapi import APIRouter

from backend.api.deps import AdminUser
from backend.api.responses import ok
from backend.services import groups

router = APIRouter(prefix="/group", tags=["group"])


@router.get("/")
def list_groups(_admin: AdminUser) -> dict:
    return ok(groups.all_groups())
