"""Codex channel credentials and usage (admins), new-api's routes: OAuth for a new channel's key
(`/api/channel/codex/oauth/*`) or an existing channel's (`/api/channel/:id/codex/oauth/*`), a key
refresh, and the account's usage windows."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter
from pydantic import Field

from backend.api.deps import AdminUser
from backend.api.responses import ok
from backend.api.types import ApiModel, Int64
from backend.relay import codex_usage
from backend.services import codex_oauth

router = APIRouter(prefix="/channel", tags=["channel"])


class CompleteIn(ApiModel):
    input: Annotated[str, Field(max_length=8192)] = ""


@router.post("/codex/oauth/start")
def start_new(admin: AdminUser) -> dict:
    return ok({"authorize_url": codex_oauth.start(admin.id, 0)})


@router.post("/codex/oauth/complete")
def complete_new(admin: AdminUser, body: CompleteIn) -> dict:
    message, data = codex_oauth.complete(admin.id, 0, body.input)
    return ok(data, message)


@router.post("/{channel_id:int}/codex/oauth/start")
def start_for_channel(admin: AdminUser, channel_id: Int64) -> dict:
    return ok({"authorize_url": codex_oauth.start(admin.id, channel_id)})


@router.post("/{channel_id:int}/codex/oauth/complete")
def complete_for_channel(admin: AdminUser, channel_id: Int64, body: CompleteIn) -> dict:
    message, data = codex_oauth.complete(admin.id, channel_id, body.input)
    return ok(data, message)


@router.post("/{channel_id:int}/codex/refresh")
def refresh(_admin: AdminUser, channel_id: Int64) -> dict:
    return ok(codex_oauth.refresh(channel_id), "refreshed")


@router.get("/{channel_id:int}/codex/usage")
async def usage(_admin: AdminUser, channel_id: Int64) -> dict:
    return await codex_usage.usage(channel_id)
