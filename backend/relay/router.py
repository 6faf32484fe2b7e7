"""Mounts the relay (`/v1/...`) on the gateway app."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI

from backend.relay import realtime, routes, routes_media, routes_playground, routes_usage
from backend.relay.context import RequestIdMiddleware

relay = APIRouter()
relay.include_router(routes_media.router)  # before routes: its /v1 catch-all must come last
relay.include_router(routes_usage.router)
relay.include_router(routes_playground.router)
relay.include_router(realtime.router)
relay.include_router(routes.router)


def install(app: FastAPI) -> None:
    app.include_router(relay)
    app.add_middleware(RequestIdMiddleware)
