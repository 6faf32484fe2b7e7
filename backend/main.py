"""The gateway's FastAPI app: management API under /api, relay under /v1.

`create_app()` returns a fresh app each call, because Reflex mutates the app it mounts.
"""

from __future__ import annotations

from fastapi import FastAPI

from backend import lifecycle
from backend.api import router as api_router
from backend.relay import router as relay_router
from backend.relay_cors import RelayCORS


def create_app(*, with_lifespan: bool = True, cors: bool = True) -> FastAPI:
    """`cors=False` when the caller wraps the whole ASGI app in RelayCORS itself (the Reflex app
    does, because Reflex puts its own strict CORS layer outside this app)."""
    app = FastAPI(
        title="newapi-py",
        docs_url=None,
        redoc_url=None,
        openapi_url="/api/openapi.json",
        lifespan=lifecycle.lifespan if with_lifespan else None,
    )
    api_router.install(app)
    relay_router.install(app)
    if cors:
        app.add_middleware(RelayCORS)
    return app
