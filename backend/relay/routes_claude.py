"""Anthropic's Messages API: `POST /v1/messages` (any channel kind; Claude channels pass through)
and `POST /v1/messages/count_tokens`.

The key comes from `x-api-key` (what Anthropic's SDKs and Claude Code send) or `Authorization:
Bearer`; `anthropic-version` / `anthropic-beta` are accepted and forwarded to Claude channels.
Every error, the pipeline's included, answers in Anthropic's shape (`error_shapes.claude_body`),
so the SDK raises the class the status names and shows the message.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from backend.relay import count_tokens as counting
from backend.relay import ingress, pipeline
from backend.relay.adaptors.base import RelayFormat
from backend.relay.context import new_request_id, request_id_of
from backend.relay.error_shapes import claude_body
from backend.relay.errors import RelayError, error_response, json_response
from backend.relay.pipeline import header_dict

router = APIRouter()


@router.post("/v1/messages")
async def messages(request: Request) -> Response:
    return await pipeline.relay(request, RelayFormat.CLAUDE_MESSAGES)


@router.post("/v1/messages/count_tokens")
async def count_tokens(request: Request) -> Response:
    """The prompt's tokens: the provider's own count when the model routes to a Claude channel
    (Anthropic, Bedrock, Vertex AI), else the gateway's (the count a Claude-format call on another
    channel bills when the upstream reports none). Free, as Anthropic's is."""
    try:
        caller = await ingress.authenticate(request)
        body = await ingress.read_json(request)
        model = ingress.checked_model(caller, body.get("model"))
    except RelayError as err:
        return error_response(err, request_id_of(request.scope) or new_request_id(), claude_body)
    return json_response(
        {"input_tokens": await counting.input_tokens(caller, model, body, header_dict(request.scope))}
    )
