"""`/api/channel/...`: channel administration (admins), key reveal (root only).

Static paths are declared before `/{channel_id}` so that e.g. `/search` never reaches it.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Query

from backend.api.deps import AdminUser, RootUser
from backend.api.paging import PagingDep
from backend.api.responses import ApiResponse, ok
from backend.api.secure_verify import verified_root
from backend.api.types import ApiModel, Int64
from backend.models.enums import LogType, Role
from backend.models.schemas.channel import (
    ChannelIds,
    ChannelKey,
    ChannelListPage,
    ChannelPublic,
    ChannelSearchPage,
    ChannelTagEdit,
    ChannelUpdate,
)
from backend.relay import channel_balance, channel_test
from backend.services import activity_log, channel_input, channels

router = APIRouter(prefix="/channel", tags=["channel"])
JsonBody = Annotated[Any, Body()]


class IdsIn(ApiModel):
    ids: list[Int64]


class BatchTagIn(ApiModel):
    ids: list[Int64]
    tag: str | None = None


class TagIn(ApiModel):
    tag: str


class FetchModelsIn(ApiModel):
    base_url: str = ""
    type: Int64 = 1
    key: str


@router.get("/")
def list_channels(
    _admin: AdminUser,
    paging: PagingDep,
    id_sort: bool = False,
    tag_mode: bool = False,
    status: str | None = None,
    type: Annotated[Int64 | None, Query()] = None,  # noqa: A002 - the query parameter's name
) -> ApiResponse[ChannelListPage]:
    return ApiResponse(data=channels.list_channels(paging.p, paging.page_size, id_sort=id_sort, tag_mode=tag_mode,
                                     status=status, type_=type))


@router.get("/search")
def search_channels(
    _admin: AdminUser,
    paging: PagingDep,
    keyword: str = "",
    group: str = "",
    model: str = "",
    id_sort: bool = False,
    tag_mode: bool = False,
    status: str | None = None,
    type: Annotated[Int64 | None, Query()] = None,  # noqa: A002
) -> ApiResponse[ChannelSearchPage]:
    return ApiResponse(data=channels.search_channels(keyword, group, model, paging.p, paging.page_size, id_sort=id_sort,
                                       tag_mode=tag_mode, status=status, type_=type))


@router.get("/models")
def known_models(_admin: AdminUser) -> dict:
    return ok(channels.known_models())


@router.get("/models_enabled")
def enabled_models(_admin: AdminUser) -> dict:
    return ok(channels.enabled_models())


@router.post("/fix")
def fix_abilities(_admin: AdminUser) -> dict:
    return ok(channels.fix_abilities())


@router.get("/test")
async def test_all(admin: AdminUser) -> dict:
    channel_test.start_test_all(admin.id, admin.username)
    return ok()


@router.get("/test/{channel_id:int}")
async def test_one(admin: AdminUser, channel_id: Int64, model: str | None = None) -> dict:
    result = await channel_test.run_test(channel_id, model, user_id=admin.id, username=admin.username)
    return {"success": result.success, "message": result.message, "time": result.time}


@router.get("/update_balance")
async def update_all_balances(_admin: AdminUser) -> dict:
    return ok(await channel_balance.update_all_balances())


@router.get("/update_balance/{channel_id:int}")
async def update_balance(_admin: AdminUser, channel_id: Int64) -> dict:
    balance = await channel_balance.update_balance(channel_id)
    return {"success": True, "message": "", "balance": balance, "data": balance}


@router.get("/fetch_models/{channel_id:int}")
async def fetch_channel_models(_admin: AdminUser, channel_id: Int64) -> dict:
    return ok(await channel_balance.fetch_channel_models(channel_id))


@router.post("/fetch_models")
async def fetch_models(_admin: AdminUser, body: FetchModelsIn) -> dict:
    return ok(await channel_balance.fetch_models(body.base_url, body.type, body.key))


@router.post("/tag/disabled")
def disable_tag(_admin: AdminUser, body: TagIn) -> dict:
    return ok(channels.set_tag_status(body.tag, enabled=False))


@router.post("/tag/enabled")
def enable_tag(_admin: AdminUser, body: TagIn) -> dict:
    return ok(channels.set_tag_status(body.tag, enabled=True))


@router.put("/tag")
def edit_tag(_admin: AdminUser, body: JsonBody) -> ApiResponse[int]:
    """`data`: how many channels carry the tag."""
    return ApiResponse(data=channels.edit_tag(channel_input.parse(ChannelTagEdit, body)))


@router.post("/batch/tag")
def batch_set_tag(_admin: AdminUser, body: BatchTagIn) -> dict:
    return ok(channels.batch_set_tag(body.ids, body.tag))


@router.post("/batch")
def batch_delete(_admin: AdminUser, body: IdsIn) -> dict:
    return ok(channels.delete_channels(body.ids))


@router.delete("/disabled")
def delete_disabled(_admin: AdminUser) -> dict:
    return ok(channels.delete_disabled())


@router.post("/")
def create_channel(_admin: AdminUser, body: JsonBody) -> ApiResponse[ChannelIds]:
    """The body is parsed by `channel_input` (refusals name the channel field), not by FastAPI."""
    return ApiResponse(data=ChannelIds(ids=channels.create_channels(channel_input.parse_create(body))))


@router.put("/")
def update_channel(admin: AdminUser, body: JsonBody) -> ApiResponse[ChannelPublic]:
    change = channel_input.parse(ChannelUpdate, body)
    return ApiResponse(data=channels.update_channel(change, actor_is_root=admin.role >= Role.ROOT))


@router.get("/{channel_id:int}")
def get_channel(_admin: AdminUser, channel_id: Int64) -> ApiResponse[ChannelPublic]:
    return ApiResponse(data=channels.get_channel(channel_id))


@router.delete("/{channel_id:int}")
def delete_channel(_admin: AdminUser, channel_id: Int64) -> ApiResponse[None]:
    channels.delete_channel(channel_id)
    return ApiResponse(data=None)


@router.post("/{channel_id:int}/key", dependencies=[Depends(verified_root)])
def reveal_key(root: RootUser, channel_id: Int64) -> ApiResponse[ChannelKey]:
    key = channels.reveal_key(channel_id)
    activity_log.record(root.id, root.username, LogType.MANAGE, f"查看渠道 #{channel_id} 的密钥",
                        other={"event": "view_channel_key", "channel_id": channel_id})
    return ApiResponse(data=ChannelKey(key=key))
