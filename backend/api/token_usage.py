"""`GET /api/usage/token`: an API key asks for its own balance (new-api's read-only key auth: a
disabled, expired or used-up key may still look; an unknown one may not)."""

from __future__ import annotations

import orjson
from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from backend import cache
from backend.api.ratelimit import critical_limit
from backend.api.responses import fail
from backend.services import key_usage

router = APIRouter(tags=["usage"])


def _key(header: str) -> str | None:
    """The stored key from `Bearer sk-KEY[-channel]`; None when the header is not that shape."""
    parts = header.split(" ")
    if len(parts) != 2 or parts[0].lower() != "bearer" or not parts[1]:
        return None
    return parts[1].removeprefix("sk-").split("-", 1)[0] or None


@router.get("/usage/token", dependencies=[Depends(critical_limit)])
@router.get("/usage/token/", dependencies=[Depends(critical_limit)], include_in_schema=False)
async def token_usage(request: Request) -> Response:
    header = request.headers.get("Authorization", "")
    if not header:
        return fail("No Authorization header", 401)
    key = _key(header)
    if key is None:
        return fail("Invalid Bearer token", 401)
    token = await cache.get_token(key)
    data = await key_usage.token_usage(token.id, token.user_id) if token is not None else None
    if data is None:
        return fail("invalid API key", 401)
    return Response(orjson.dumps({"code": True, "message": "ok", "data": data}), media_type="application/json")
