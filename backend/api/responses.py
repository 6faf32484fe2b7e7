"""new-api's envelope: `{success, message, data}`."""

from __future__ import annotations

import logging
from typing import Any, Generic, TypeVar

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from pydantic import BaseModel
from sqlalchemy.exc import DataError, StatementError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException

from backend.api.types import OUT_OF_RANGE
from backend.models.schemas.base import Page
from backend.services.errors import ServiceError

log = logging.getLogger("newapi.api")
BUSY = "the server is busy, please try again later"
T = TypeVar("T")


class ApiResponse(BaseModel, Generic[T]):
    """new-api's envelope as a model: a route declaring `ApiResponse[X]` as its return type gets
    `X` described in /api/openapi.json and its answer checked against it."""

    success: bool = True
    message: str = ""
    data: T


def paged(items: list[T], total: int, p: int, page_size: int) -> ApiResponse[Page[T]]:
    """A list route's answer: one page of rows in the envelope."""
    return ApiResponse(data=Page(items=items, total=total, page=p, page_size=page_size))


def ok(data: Any = None, message: str = "") -> dict[str, Any]:
    return {"success": True, "message": message, "data": data}


def page(items: list[Any], total: int, p: int, page_size: int) -> dict[str, Any]:
    return ok({"items": items, "total": total, "page": p, "page_size": page_size})


def fail(message: str, status: int = 400, code: str | None = None) -> Response:
    """The refusal envelope; `code` (new-api's machine-readable reason, e.g. VERIFICATION_REQUIRED)
    only when the error has one."""
    payload: dict[str, Any] = {"success": False, "message": message}
    if code:
        payload["code"] = code
    body = orjson.dumps(payload)
    return Response(body, status_code=status, media_type="application/json")


def http_error(request: Request, exc: StarletteHTTPException) -> Response | None:
    """An HTTP error raised by the framework under /api (an unparsable body, a wrong method) in
    the envelope; None elsewhere. The app's one HTTP-exception handler (backend/main.py) asks this."""
    path = request.url.path
    if path == "/api" or path.startswith("/api/"):
        return fail(str(exc.detail), exc.status_code)
    return None


def install_handlers(app: FastAPI) -> None:
    @app.exception_handler(ServiceError)
    async def _service_error(_request: Request, exc: ServiceError) -> Response:
        return fail(exc.message, exc.status, getattr(exc, "code", None))

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

    @app.exception_handler(DataError)
    @app.exception_handler(OverflowError)
    async def _out_of_range(request: Request, exc: Exception) -> Response:
        """The database refused a value (PostgreSQL/MySQL: out of range; SQLite's driver: an int
        wider than 64 bits). Request models bound their integers already; this covers free-form
        bodies such as a channel's, so such input is a 400 wherever it slips through."""
        log.info("out-of-range input on %s: %s", request.url.path, type(exc).__name__)
        return fail(OUT_OF_RANGE.render())

    @app.exception_handler(StatementError)
    async def _statement_error(request: Request, exc: StatementError) -> Response:
        if isinstance(exc.orig, OverflowError | DataError):
            return await _out_of_range(request, exc)
        return await _unexpected(request, exc)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        """Last resort: the envelope with nothing internal in it; the traceback goes to the log."""
        log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
        return fail("internal error, please try again later", 500)
