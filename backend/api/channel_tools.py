"""`/api/channel/copy/:id` and `/api/channel/tag/models` (admins): new-api's channel-list tools."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from backend.api.deps import AdminUser
from backend.api.responses import ok
from backend.api.types import Int64
from backend.services import channel_tools

router = APIRouter(prefix="/channel", tags=["channel"])


@router.post("/copy/{channel_id:int}")
def copy_channel(_admin: AdminUser, channel_id: Int64,
                 suffix: Annotated[str, Query(max_length=64)] = channel_tools.DEFAULT_SUFFIX,
                 reset_balance: bool = True) -> dict:
    return ok({"id": channel_tools.copy_channel(channel_id, suffix, reset_balance)})


@router.get("/tag/models")
def tag_models(_admin: AdminUser, tag: Annotated[str, Query(max_length=255)] = "") -> dict:
    return ok(channel_tools.tag_models(tag))
