"""The gateway's FastAPI app: management API under /api, relay under /v1.

`create_app()` returns a fresh app each call, because Reflex mutates the app it mounts.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import Response
from fastapi.telemetry import TelemetryConfig
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import Receive, Scope, Send

from backend import lifecycle
from backend.api import responses as api_responses
from backend.api import router as api_router
from backend.config import get_settings
from backend.observability import endpoint as metrics_endpoint
from backend.observability import profiling  # noqa: F401 - registers its start-up hook (PYROSCOPE_URL)
from backend.relay import router as relay_router
from backend.relay import routes as relay_routes
from backend.relay_cors import RelayCORS
from backend.request_limits import RequestLimits

# No OpenTelemetry is configured; left on, FastAPI would still look the providers up per request.
TELEMETRY_OFF: TelemetryConfig = {"tracing": False, "metrics": False, "logs": False}


class GatewayAPI(FastAPI):
    """FastAPI with the hot relay calls dispatched before its own stack. It has to be the app
    object itself (not a wrapper) because Reflex mounts this very object under its own layers."""

    relay_cors: bool = True

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        fmt = relay_routes.hot_route(scope)
        if fmt is None:
            await super().__call__(scope, receive, send)
        else:
            await relay_routes.serve_hot(scope, receive, send, fmt, cors=self.relay_cors)


def create_app(*, with_lifespan: bool = True, cors: bool = True) -> FastAPI:
    """`cors=False` when the caller wraps the whole ASGI app in RelayCORS itself (the Reflex app
    does, because Reflex puts its own strict CORS layer outside this app)."""
    app = GatewayAPI(
        title="newapi-py",
        docs_url=None,
        redoc_url=None,
        openapi_url="/api/openapi.json" if get_settings().OPENAPI_ENABLED else None,
        lifespan=lifecycle.lifespan if with_lifespan else None,
        telemetry=TELEMETRY_OFF,
    )
    app.relay_cors = cors
    # Added first, so it runs inside the request-id middleware (relay refusals carry the id).
    app.add_middleware(RequestLimits)
    api_router.install(app)
    metrics_endpoint.install(app)
    relay_router.install(app)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        """Framework errors (404, 405, an unparsable body) in the caller's format: OpenAI's under
        /v1, the envelope under /api, FastAPI's own elsewhere."""
        answer = relay_routes.http_error(request, exc) or api_responses.http_error(request, exc)
        return answer or await http_exception_handler(request, exc)

    if cors:
        app.add_middleware(RelayCORS)
    return app
