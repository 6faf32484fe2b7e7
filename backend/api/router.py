"""Mounts the management API (`/api/...`) on the gateway app."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI

from backend.api import responses

api = APIRouter(prefix="/api")


def install(app: FastAPI) -> None:
    responses.install_handlers(app)
    app.include_router(api)
