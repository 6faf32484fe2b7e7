"""The model list in each client format's shape, as new-api serves it: `GET /v1/models` answers
Anthropic's shape to Anthropic clients (`anthropic-version`, which only they send) and Google's to Gemini
clients (`x-goog-api-key` or `?key=`), OpenAI's otherwise; `GET /v1beta/models[/{model}]` is
Google's, `GET /v1beta/openai/models` (Gemini's OpenAI-compatible base) OpenAI's.
"""

from __future__ import annotations

import time

from fastapi import APIRouter, Request
from fastapi.responses import Response

from backend.relay import ingress, routes
from backend.relay.context import new_request_id, request_id_of
from backend.relay.error_shapes import claude_body, google_body
from backend.relay.errors import RelayError, error_response, json_response
from backend.relay.redact import clip

router = APIRouter()
GEMINI_METHODS = ["generateContent", "streamGenerateContent", "countTokens", "embedContent", "batchEmbedContents"]
_CREATED_AT = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(routes.MODEL_CREATED))


def _rid(request: Request) -> str:
    return request_id_of(request.scope) or new_request_id()


def gemini_model(model: str) -> dict:
    return {"name": f"models/{model}", "displayName": model, "supportedGenerationMethods": GEMINI_METHODS}


def anthropic_model(model: str) -> dict:
    return {"type": "model", "id": model, "display_name": model, "created_at": _CREATED_AT}


async def gemini_list(request: Request) -> Response:
    try:
        caller = await ingress.authenticate(request, ingress.google_key(request))
    except RelayError as err:
        return error_response(err, _rid(request), google_body)
    return json_response({"models": [gemini_model(m) for m in routes.visible_models(caller)]})


async def anthropic_list(request: Request) -> Response:
    try:
        caller = await ingress.authenticate(request)
    except RelayError as err:
        return error_response(err, _rid(request), claude_body)
    data = [anthropic_model(m) for m in routes.visible_models(caller)]
    return json_response({"data": data, "first_id": data[0]["id"] if data else None, "has_more": False,
                          "last_id": data[-1]["id"] if data else None})


@router.get("/v1/models")
async def list_models(request: Request) -> Response:
    headers = request.headers
    if headers.get("anthropic-version"):  # new-api also wants x-api-key; Anthropic's SDK may send Bearer
        return await anthropic_list(request)
    if headers.get("x-goog-api-key") or request.query_params.get("key"):
        return await gemini_list(request)
    return await routes.list_models(request)


router.add_api_route("/v1beta/models", gemini_list, methods=["GET"])
router.add_api_route("/v1beta/openai/models", routes.list_models, methods=["GET"])


@router.get("/v1beta/models/{model:path}")
async def gemini_get(request: Request, model: str) -> Response:
    try:
        caller = await ingress.authenticate(request, ingress.google_key(request))
        if model not in routes.visible_models(caller):
            raise RelayError(404, f"models/{clip(model)} is not found", code="model_not_found")
    except RelayError as err:
        return error_response(err, _rid(request), google_body)
    return json_response(gemini_model(model))
