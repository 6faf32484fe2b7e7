"""The OpenAI-format relay routes: chat, completions, embeddings, models, and new-api's 501s.

Thin: each route names its wire format and hands the request to the pipeline. Unknown `/v1/...`
paths get OpenAI's 404 from `http_error` (through the app's exception handler, so routes other modules
add under /v1 are not shadowed by a catch-all).

The three busiest (`HOT_ROUTES`) are also served by `serve_hot`, which the app calls ahead of
FastAPI's routing, middleware and exception layers: they cost more than the relay's own work.
The pipeline answers every error itself, so the replies are the same either way.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import Receive, Scope, Send

from backend.cache import channels
from backend.http_limits import headers_too_large
from backend.models.channel_types import channel_type_name
from backend.relay import auth, distributor, pipeline
from backend.relay.adaptors.base import RelayFormat
from backend.relay.context import new_request_id, request_id_of
from backend.relay.errors import (
    REQUEST_ID_HEADER,
    RelayError,
    error_response,
    header_fields_too_large,
    invalid_url,
    json_response,
    not_implemented,
)
from backend.relay.redact import clip
from backend.relay_cors import open_headers

router = APIRouter()

MODEL_CREATED = 1626777600  # new-api's fixed `created` for listed models


@router.post("/v1/chat/completions")
async def chat_completions(request: Request) -> Response:
    return await pipeline.relay(request, RelayFormat.OPENAI_CHAT)


@router.post("/v1/completions")
async def completions(request: Request) -> Response:
    return await pipeline.relay(request, RelayFormat.OPENAI_COMPLETIONS)


@router.post("/v1/embeddings")
async def embeddings(request: Request) -> Response:
    return await pipeline.relay(request, RelayFormat.OPENAI_EMBEDDINGS)


@router.post("/v1/engines/{model}/embeddings")
async def engine_embeddings(request: Request, model: str) -> Response:
    return await pipeline.relay(request, RelayFormat.OPENAI_EMBEDDINGS, default_model=model)


HOT_ROUTES = {
    "/v1/chat/completions": RelayFormat.OPENAI_CHAT,
    "/v1/completions": RelayFormat.OPENAI_COMPLETIONS,
    "/v1/embeddings": RelayFormat.OPENAI_EMBEDDINGS,
}
_RID_HEADER = REQUEST_ID_HEADER.lower().encode()


def hot_route(scope: Scope) -> RelayFormat | None:
    """The format when this request is a POST to one of `HOT_ROUTES`."""
    if scope["type"] != "http" or scope["method"] != "POST":
        return None
    return HOT_ROUTES.get(scope["path"])


async def serve_hot(scope: Scope, receive: Receive, send: Send, fmt: RelayFormat, *, cors: bool) -> None:
    """A hot relay call with what the middleware would add put on the response itself: the request
    id, and (`cors`, when no outer RelayCORS does it) the open CORS headers for a cross-origin call."""
    rid = new_request_id()
    scope.setdefault("state", {})["request_id"] = rid
    headers = pipeline.header_dict(scope)
    if headers_too_large(scope):  # what RequestLimits does for every other route
        response = error_response(header_fields_too_large(), rid)
    else:
        response = await pipeline.relay(Request(scope, receive), fmt, headers=headers)
    raw = [(k, v) for k, v in response.raw_headers if k != _RID_HEADER]
    raw.append((_RID_HEADER, rid.encode()))
    if cors and "origin" in headers:
        raw = open_headers(raw)
    response.raw_headers = raw
    await response(scope, receive, send)


def _owned_by(group: str, model: str) -> str:
    channel = channels.pick(group, model)
    return channel_type_name(channel.type).lower() if channel is not None else "custom"


def _model_entry(group: str, model: str) -> dict:
    return {"id": model, "object": "model", "created": MODEL_CREATED, "owned_by": _owned_by(group, model)}


async def _caller(request: Request) -> auth.Caller:
    return await auth.authenticate(request.headers, pipeline.client_ip(request))


def visible_models(caller: auth.Caller) -> list[str]:
    """The key's model list when it has one, else every model its group can route."""
    if caller.token is not None and caller.token.model_limits_enabled:
        return sorted(caller.token.model_limits)
    return distributor.models_for(caller.group, caller.user.group)


def _rid(request: Request) -> str:
    return request_id_of(request.scope) or new_request_id()


@router.get("/v1/models")
async def list_models(request: Request) -> Response:
    try:
        caller = await _caller(request)
    except RelayError as err:
        return error_response(err, _rid(request))
    data = [_model_entry(caller.group, m) for m in visible_models(caller)]
    return json_response({"success": True, "object": "list", "data": data})


@router.get("/v1/models/{model:path}")
async def retrieve_model(request: Request, model: str) -> Response:
    try:
        caller = await _caller(request)
        if model not in visible_models(caller):
            raise RelayError(404, f"The model '{clip(model)}' does not exist", type="invalid_request_error",
                             code="model_not_found", param="model")
    except RelayError as err:
        return error_response(err, _rid(request))
    return json_response(_model_entry(caller.group, model))


async def _not_implemented(request: Request) -> Response:
    """new-api answers these with 501 after the key check."""
    try:
        await _caller(request)
        raise not_implemented()
    except RelayError as err:
        return error_response(err, _rid(request))


for _path, _methods in (
    ("/v1/files", ["GET", "POST"]),
    ("/v1/files/{rest:path}", ["GET", "DELETE"]),
    ("/v1/fine-tunes", ["GET", "POST"]),
    ("/v1/fine-tunes/{rest:path}", ["GET", "POST", "DELETE"]),
    ("/v1/models/{model:path}", ["DELETE"]),
):
    router.add_api_route(_path, _not_implemented, methods=_methods, include_in_schema=False)


def http_error(request: Request, exc: StarletteHTTPException) -> Response | None:
    """404 (and 405) under /v1 in OpenAI's shape: `Invalid URL (METHOD path)`; None elsewhere.
    The app's one HTTP-exception handler (backend/main.py) asks this first."""
    path = request.url.path
    if exc.status_code in (404, 405) and (path == "/v1" or path.startswith("/v1/")):
        return error_response(invalid_url(request.method, path), _rid(request))
    return None


_ANY = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]


async def _unknown(request: Request) -> Response:
    """Registered last. Under the Reflex app an unmatched path would otherwise fall through to the
    console and come back as an HTML page; API clients need OpenAI's error object."""
    return error_response(invalid_url(request.method, request.url.path), _rid(request))


for _path in ("/v1", "/v1/{rest:path}", "/v1beta/{rest:path}"):
    router.add_api_route(_path, _unknown, methods=_ANY, include_in_schema=False)
