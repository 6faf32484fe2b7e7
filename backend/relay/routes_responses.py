"""The OpenAI Responses routes: `POST /v1/responses` and `/v1/responses/compact`.

Thin, like `routes.py`: the pipeline does the work. Which upstream shape a call takes is the
adaptor registry's business (`adaptors/responses_bridge.py`): OpenAI, Azure and Codex channels get
the body as it came; every other channel kind is reached through the Chat Completions pivot.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from backend.relay import pipeline
from backend.relay.adaptors.base import RelayFormat

router = APIRouter()


@router.post("/v1/responses")
async def responses(request: Request) -> Response:
    return await pipeline.relay(request, RelayFormat.OPENAI_RESPONSES)


@router.post("/v1/responses/compact")
async def responses_compact(request: Request) -> Response:
    return await pipeline.relay(request, RelayFormat.OPENAI_RESPONSES)
