"""`/api/channel/copy/:id`, `/api/channel/tag/models` and `/api/channel/multi_key/manage` (admins):
new-api's channel-list tools."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from backend.api.deps import AdminUser
from backend.api.responses import ok
from backend.api.types import ApiModel, Int64
from backend.services import channel_tools, multi_keys

router = APIRouter(prefix="/channel", tags=["channel"])


@router.post("/copy/{channel_id:int}")
def copy_channel(_admin: AdminUser, channel_id: Int64,
                 suffix: Annotated[str, Query(max_length=64)] = channel_tools.DEFAULT_SUFFIX,
                 reset_balance: bool = True) -> dict:
    return ok({"id": channel_tools.copy_channel(channel_id, suffix, reset_balance)})


@router.get("/tag/models")
def tag_models(_admin: AdminUser, tag: Annotated[str, Query(max_length=255)] = "") -> dict:
    return ok(channel_tools.tag_models(tag))


class MultiKeyManageIn(ApiModel):
    channel_id: Int64
    action: str
    key_index: Int64 | None = None
    page: Int64 = 1
    page_size: Int64 = multi_keys.DEFAULT_PAGE_SIZE
    status: Int64 | None = None


@router.post("/multi_key/manage")
def manage_multi_keys(_admin: AdminUser, body: MultiKeyManageIn) -> dict:
    """new-api's actions: get_key_status (paged, filtered by status), disable_key, enable_key,
    enable_all_keys, disable_all_keys, delete_key, delete_disabled_keys."""
    message, data = multi_keys.manage(multi_keys.Request(**body.model_dump()))
    return ok(data, message)
