"""`/api/channel/upstream_updates/*` and `/api/channel/ollama/*` (admins): keeping a channel's
model list in step with its upstream, and managing the models of an Ollama server."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter
from fastapi.responses import StreamingResponse
from pydantic import Field

from backend.api.deps import AdminUser
from backend.api.responses import ok
from backend.api.types import ApiModel, Int64
from backend.relay import ollama_manage, upstream_updates
from backend.services import upstream_models
from backend.services.errors import ServiceError, msg

router = APIRouter(prefix="/channel", tags=["channel"])
ModelNames = list[Annotated[str, Field(max_length=255)]]


class UpstreamUpdateIn(ApiModel):
    id: Int64 = 0
    add_models: ModelNames = []
    remove_models: ModelNames = []
    ignore_models: ModelNames = []


@router.post("/upstream_updates/detect")
async def detect(_admin: AdminUser, body: UpstreamUpdateIn) -> dict:
    return ok((await upstream_updates.detect(body.id)).view())


@router.post("/upstream_updates/detect_all")
async def detect_all(_admin: AdminUser) -> dict:
    return ok(await upstream_updates.detect_all())


@router.post("/upstream_updates/apply")
def apply(_admin: AdminUser, body: UpstreamUpdateIn) -> dict:
    return ok(upstream_models.apply(body.id, body.add_models, body.remove_models, body.ignore_models))


@router.post("/upstream_updates/apply_all")
def apply_all(_admin: AdminUser) -> dict:
    return ok(upstream_models.apply_all())


class OllamaModelIn(ApiModel):
    channel_id: Int64 = 0
    model_name: Annotated[str, Field(max_length=255)] = ""


def _checked(body: OllamaModelIn) -> str:
    name = body.model_name.strip()
    if body.channel_id <= 0 or not name:
        raise ServiceError(msg("Channel ID and model name are required"))
    return name


@router.post("/ollama/pull")
async def ollama_pull(_admin: AdminUser, body: OllamaModelIn) -> dict:
    name = _checked(body)
    await ollama_manage.pull(body.channel_id, name)
    return ok(None, f"Model {name} pulled successfully")


@router.delete("/ollama/delete")
async def ollama_delete(_admin: AdminUser, body: OllamaModelIn) -> dict:
    name = _checked(body)
    await ollama_manage.delete(body.channel_id, name)
    return ok(None, f"Model {name} deleted successfully")


@router.post("/ollama/pull/stream")
async def ollama_pull_stream(_admin: AdminUser, body: OllamaModelIn) -> StreamingResponse:
    name = _checked(body)
    info = await ollama_manage.ollama_channel(body.channel_id)
    return StreamingResponse(
        ollama_manage.pull_stream(info, name),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache"},
    )


@router.get("/ollama/version/{channel_id:int}")
async def ollama_version(_admin: AdminUser, channel_id: Int64) -> dict:
    return ok({"version": await ollama_manage.version(channel_id)})
