"""Mounts the management API (`/api/...`) on the gateway app."""

from __future__ import annotations

from fastapi import APIRouter, Depends, FastAPI

from backend.api import (
    channel,
    data,
    group,
    log,
    option,
    redemption,
    responses,
    setup,
    status,
    token,
    user,
    user_admin,
)
from backend.api.ratelimit import global_api_limit

api = APIRouter(prefix="/api")
api.include_router(setup.router)
api.include_router(status.router)
api.include_router(user.router)
api.include_router(user_admin.router)
api.include_router(token.router)
api.include_router(redemption.router)
api.include_router(log.router)
api.include_router(data.router)
api.include_router(option.router)
api.include_router(group.router)
api.include_router(channel.router)


def install(app: FastAPI) -> None:
    responses.install_handlers(app)
    app.include_router(api, dependencies=[Depends(global_api_limit)])
