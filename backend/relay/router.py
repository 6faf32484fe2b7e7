"""Mounts the relay (`/v1/...`) on the gateway app."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI

relay = APIRouter()


def install(app: FastAPI) -> None:
    app.include_router(relay)
