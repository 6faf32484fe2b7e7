"""Mounts the relay (`/v1/...`) on the gateway app."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI

from backend.relay import routes
from backend.relay.context import RequestIdMiddleware

relay = APIRouter()
relay.include_router(routes.router)


def install(app: FastAPI) -> None:
    app.include_router(relay)
    app.add_middleware(RequestIdMiddleware)
