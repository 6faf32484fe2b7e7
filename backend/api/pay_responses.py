"""new-api's answer shape for the pay and quote routes: `{message: "success"|"error", data}`.

new-api's console reads `message == "success"`; this gateway's own callers read `success`. Both
are given, and a refusal carries a 4xx status with its reason in `data`.
"""

from __future__ import annotations

from typing import Any

import orjson
from fastapi.responses import Response

from backend.services.errors import ServiceError


def pay_ok(data: Any, **extra: Any) -> dict[str, Any]:
    return {"success": True, "message": "success", "data": data, **extra}


def pay_error(exc: ServiceError) -> Response:
    body = orjson.dumps({"success": False, "message": "error", "data": exc.message})
    return Response(body, status_code=exc.status if exc.status < 500 else 502, media_type="application/json")
