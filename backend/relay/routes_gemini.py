"""Google's Gemini API: `POST /v1beta/models/{model}:{action}` and the same under `/v1/models/`
(google-genai calls v1 when asked to), on every channel kind: Gemini channels pass through, the
others convert (adaptors).

new-api's rules: the model is the path's text before `:`, the key is `?key=` or `x-goog-api-key`
(or `Authorization: Bearer`), `streamGenerateContent` streams (SSE, as `alt=sse` asks; the JSON
array form is not served), errors answer in Google's shape. `countTokens` is counted here and
free; embeddings are billed like `/v1/embeddings`.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from backend.relay import ingress, pipeline, token_counter
from backend.relay.adaptors.base import RelayFormat
from backend.relay.context import new_request_id, request_id_of
from backend.relay.error_shapes import google_body
from backend.relay.errors import RelayError, error_response, json_response
from backend.relay.redact import clip

router = APIRouter()

GENERATE = {"generateContent": False, "streamGenerateContent": True}  # action -> stream
EMBED = frozenset({"embedContent", "batchEmbedContents"})


def split_target(target: str) -> tuple[str, str]:
    """("gemini-2.0-flash", "generateContent") from "gemini-2.0-flash:generateContent"."""
    model, _, action = target.rpartition(":")
    return (model, action) if model else (target, "")


def _error(request: Request, err: RelayError) -> Response:
    return error_response(err, request_id_of(request.scope) or new_request_id(), google_body)


async def _count_tokens(request: Request, model: str, key: str | None) -> Response:
    """`{"totalTokens": n}` for `contents` (or a whole `generateContentRequest`)."""
    try:
        caller = await ingress.authenticate(request, key)
        model = ingress.checked_model(caller, model)
        body = await ingress.read_json(request)
    except RelayError as err:
        return _error(request, err)
    inner = body.get("generateContentRequest")
    request_body = inner if isinstance(inner, dict) else body
    return json_response({"totalTokens": token_counter.count_gemini_request(model, request_body)})


async def generate(request: Request, target: str) -> Response:
    model, action = split_target(target)
    key = ingress.google_key(request)
    if action in GENERATE:
        return await pipeline.relay(request, RelayFormat.GEMINI,
                                    ingress=ingress.Ingress(api_key=key, model=model, stream=GENERATE[action]))
    if action in EMBED:
        return await pipeline.relay(request, RelayFormat.GEMINI_EMBEDDINGS,
                                    ingress=ingress.Ingress(api_key=key, model=model, stream=False))
    if action == "countTokens":
        return await _count_tokens(request, model, key)
    try:
        await ingress.authenticate(request, key)
    except RelayError as err:
        return _error(request, err)
    return _error(request, RelayError(404, f"method {clip(action)!r} is not supported by this gateway",
                                      type="invalid_request_error", code="not_found"))


for _prefix in ("/v1beta/models/", "/v1/models/"):
    router.add_api_route(_prefix + "{target:path}", generate, methods=["POST"])
