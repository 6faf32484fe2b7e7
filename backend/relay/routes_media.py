"""The OpenAI endpoints beyond chat: images, audio, moderations, edits and rerank.

Thin like `routes.py`: each names its wire format; the pipeline reads the body (JSON, or the
multipart form for uploads), and `backend/relay/media.py` holds new-api's rules for each.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from backend.relay import pipeline
from backend.relay.adaptors.base import RelayFormat

router = APIRouter()

ROUTES: dict[str, RelayFormat] = {
    "/v1/images/generations": RelayFormat.OPENAI_IMAGES,
    "/v1/images/edits": RelayFormat.OPENAI_IMAGE_EDITS,
    "/v1/images/variations": RelayFormat.OPENAI_IMAGE_VARIATIONS,
    "/v1/audio/speech": RelayFormat.OPENAI_AUDIO_SPEECH,
    "/v1/audio/transcriptions": RelayFormat.OPENAI_AUDIO_TRANSCRIPTIONS,
    "/v1/audio/translations": RelayFormat.OPENAI_AUDIO_TRANSLATIONS,
    "/v1/moderations": RelayFormat.OPENAI_MODERATIONS,
    "/v1/edits": RelayFormat.OPENAI_EDITS,
    "/v1/rerank": RelayFormat.RERANK,
}


def _route(fmt: RelayFormat):  # noqa: ANN202 - a FastAPI endpoint
    async def relay(request: Request) -> Response:
        return await pipeline.relay(request, fmt)

    relay.__name__ = f"relay_{fmt.value}"
    return relay


for _path, _fmt in ROUTES.items():
    router.add_api_route(_path, _route(_fmt), methods=["POST"], include_in_schema=False)
