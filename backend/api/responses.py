"""new-api's envelope: `{success, message, data}`."""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from sqlalchemy.exc import TimeoutError as PoolTimeout

from backend.services.errors import ServiceError

BUSY = "the server is busy, please try again later"


def ok(data: Any = None, message: str = "") -> dict[str, Any]:
    return {"success": True, "message": message, "data": data}


def page(items: list[Any], total: int, p: int, page_size: int) -> dict[str, Any]:
    return ok({"items": items, "total": total, "page": p, "page_size": page_size})


def fail(message: str, status: int = 400) -> Response:
    body = orjson.dumps({"success": False, "message": message})
    return Response(body, status_code=status, media_type="application/json")


def install_handlers(app: FastAPI) -> None:
    @app.exception_handler(ServiceError)
    async def _service_error(_request: Request, exc: ServiceError) -> Response:
        return fail(exc.message, exc.status)

    @app.exception_handler(PoolTimeout)
    async def _pool_timeout(_request: Request, _exc: PoolTimeout) -> Response:
        """No database connection came free within POOL_TIMEOUT_S: 503, nothing internal echoed."""
        return fail(BUSY, 503)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, exc: RequestValidationError) -> Response:
        if not request.url.path.startswith("/api"):
            raise exc
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(p) for p in first.get("loc", ())[1:])
        return fail(f"invalid request: {where} {first.get('msg', '')}".strip())
