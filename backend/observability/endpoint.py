"""`GET /metrics`: the Prometheus text exposition, optionally behind a bearer token (METRICS_TOKEN)."""

from __future__ import annotations

import hmac

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector

from backend.config import get_settings
from backend.observability import metrics, multiproc  # noqa: F401 (metrics: registers the gateway's series)

PATH = "/metrics"


def _authorized(request: Request) -> bool:
    token = get_settings().METRICS_TOKEN
    if not token:
        return True
    given = request.headers.get("authorization", "")
    scheme, _, value = given.partition(" ")
    # Constant time over the token's bytes, whatever was sent.
    return hmac.compare_digest(value.strip().encode(), token.encode()) and scheme.lower() == "bearer"


def exposition() -> bytes:
    """Every worker's metrics in multiprocess mode (their files summed), else this process's."""
    if not multiproc.enabled():
        return generate_latest(REGISTRY)
    multiproc.forget_dead_workers()
    registry = CollectorRegistry()
    MultiProcessCollector(registry)
    return generate_latest(registry)


async def metrics_route(request: Request) -> Response:
    if not _authorized(request):
        return JSONResponse({"success": False, "message": "a valid metrics token is required"}, status_code=401,
                            headers={"WWW-Authenticate": "Bearer"})
    return Response(exposition(), media_type=CONTENT_TYPE_LATEST)


def install(app: FastAPI) -> None:
    app.add_api_route(PATH, metrics_route, methods=["GET"], include_in_schema=False)
