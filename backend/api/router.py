"""Mounts the management API (`/api/...`) on the gateway app."""

from __future__ import annotations

from fastapi import APIRouter, Depends, FastAPI

from backend.api import (
    channel,
    data,
    group,
    log,
    option,
    pricing,
    redemption,
    responses,
    setup,
    status,
    threads,  # noqa: F401 - registers the start-up hook that sizes the worker threads
    token,
    user,
    user_admin,
    verification,
)
from backend.api.ratelimit import global_api_limit
from backend.api.types import strict_json_body
from backend.services.errors import NotFound

api = APIRouter(prefix="/api")
api.include_router(setup.router)
api.include_router(status.router)
api.include_router(verification.router)
api.include_router(user.router)
api.include_router(user_admin.router)
api.include_router(token.router)
api.include_router(redemption.router)
api.include_router(log.router)
api.include_router(data.router)
api.include_router(option.router)
api.include_router(group.router)
api.include_router(channel.router)
api.include_router(pricing.router)


@api.api_route("/{path:path}", methods=["GET", "POST", "PUT", "PATCH", "DELETE"], include_in_schema=False)
def unknown_api_route(path: str) -> None:
    """Registered last: an unknown /api path answers in the envelope instead of falling through
    to the console's pages (or FastAPI's bare `{"detail": ...}`)."""
    raise NotFound(f"no such API route: /api/{path}")


def install(app: FastAPI) -> None:
    responses.install_handlers(app)
    app.include_router(api, dependencies=[Depends(global_api_limit), Depends(strict_json_body)])
