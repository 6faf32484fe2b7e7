"""`/api/ratio_sync/*` (root only, as in new-api): the sources a root may pull prices from, and the
pull-and-compare itself. The answer only reports differences; applying them is an ordinary option
save (`PUT /api/option/`), as new-api's console does."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import Field

from backend.api.deps import RootUser
from backend.api.responses import fail, ok
from backend.api.types import ApiModel
from backend.services import ratio_sync

router = APIRouter(prefix="/ratio_sync", tags=["ratio_sync"])


class UpstreamIn(ApiModel):
    id: int = 0
    name: str = Field(default="", max_length=255)
    base_url: str = Field(default="", max_length=2048)
    endpoint: str = Field(default="", max_length=2048)


class FetchIn(ApiModel):
    channel_ids: list[int] = Field(default_factory=list, max_length=1000)
    upstreams: list[UpstreamIn] = Field(default_factory=list, max_length=100)
    timeout: int = Field(default=0, ge=0, le=120)


@router.get("/channels")
def syncable_channels(_root: RootUser) -> dict:
    return ok(ratio_sync.syncable_channels())


@router.post("/fetch")
async def fetch_ratios(_root: RootUser, body: FetchIn):  # noqa: ANN201 - the envelope, or new-api's 200 refusal
    got = await ratio_sync.fetch([u.model_dump() for u in body.upstreams], body.channel_ids, float(body.timeout))
    if got is None:
        return fail(ratio_sync.NO_UPSTREAM, 200)
    return {"success": True, "data": got}
