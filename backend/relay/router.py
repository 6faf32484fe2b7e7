"""Mounts the relay (`/v1/...`) on the gateway app."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI

from backend.relay import (
    model_lists,
    realtime,
    routes,
    routes_claude,
    routes_gemini,
    routes_media,
    routes_mj,
    routes_playground,
    routes_responses,
    routes_suno,
    routes_usage,
    routes_video,
)
from backend.relay.context import RequestIdMiddleware

relay = APIRouter()
# format routes before routes.router: it ends with the /v1 and /v1beta catch-alls
relay.include_router(routes_responses.router)
relay.include_router(routes_claude.router)
relay.include_router(routes_gemini.router)
relay.include_router(model_lists.router)
relay.include_router(routes_media.router)
relay.include_router(routes_usage.router)
relay.include_router(routes_playground.router)
relay.include_router(routes_mj.router)
relay.include_router(routes_suno.router)
relay.include_router(routes_video.router)
relay.include_router(realtime.router)
relay.include_router(routes.router)


def install(app: FastAPI) -> None:
    app.include_router(relay)
    app.add_middleware(RequestIdMiddleware)
