"""new-api's key-usage tools for OpenAI-era clients (new-api-key-tool, old dashboards):
`/v1/dashboard/billing/subscription` and `/usage`, also without the `/v1`. Full key auth, as
new-api's TokenAuth; errors in OpenAI's shape."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from backend.relay import auth, pipeline
from backend.relay.context import new_request_id, request_id_of
from backend.relay.errors import RelayError, error_response, json_response
from backend.services import key_usage

router = APIRouter()
Figures = Callable[[int, int], Awaitable[dict[str, Any]]]


async def _answer(request: Request, figures: Figures) -> Response:
    try:
        caller = await auth.authenticate(pipeline.header_dict(request.scope), pipeline.client_ip(request))
    except RelayError as err:
        return error_response(err, request_id_of(request.scope) or new_request_id())
    token_id = caller.token.id if caller.token is not None else 0  # key auth always names a key
    return json_response(await figures(token_id, caller.user.id))


async def subscription(request: Request) -> Response:
    return await _answer(request, key_usage.subscription)


async def usage(request: Request) -> Response:
    return await _answer(request, key_usage.usage)


for _prefix in ("", "/v1"):
    router.add_api_route(_prefix + "/dashboard/billing/subscription", subscription, methods=["GET"],
                         include_in_schema=False)
    router.add_api_route(_prefix + "/dashboard/billing/usage", usage, methods=["GET"], include_in_schema=False)
