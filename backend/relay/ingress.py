"""What a route tells the pipeline when its format does not carry everything in the body the way
OpenAI's does: native Gemini names the model and the stream in the path (`/v1beta/models/{m}:
streamGenerateContent`) and the key in `?key=` or `x-goog-api-key`.

Also the small request readers the non-relaying routes of those formats share (count_tokens,
model lists): the same key check and body limits as a relayed call.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import Request
from starlette.requests import ClientDisconnect

from backend import client_ip as client_address
from backend.config import get_settings
from backend.relay import auth
from backend.relay.body import check_model_name, parse_json_object, read_limited, too_large
from backend.relay.errors import bad_request


@dataclass(frozen=True, slots=True)
class Ingress:
    api_key: str | None = None  # a key found where OpenAI clients do not put one (?key=, x-goog-api-key)
    model: str | None = None  # the model the path names; it wins over the body's
    stream: bool | None = None  # the stream flag the path decides (streamGenerateContent)


def google_key(request: Request) -> str | None:
    """new-api's order on the Gemini routes: `?key=`, then `x-goog-api-key`; None when neither is
    there (then `Authorization: Bearer` is read as on every route)."""
    key = request.query_params.get("key") or request.headers.get("x-goog-api-key") or ""
    return key.strip() or None


async def authenticate(request: Request, api_key: str | None = None) -> auth.Caller:
    return await auth.authenticate(request.headers, client_address.client_ip(request.scope), api_key)


async def read_json(request: Request) -> dict[str, Any]:
    """The body as a JSON object, within MAX_REQUEST_BODY_MB (gzip too), as the pipeline reads it."""
    limit = get_settings().max_body_bytes
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > limit:
        raise too_large(limit)
    try:
        raw = await read_limited(request.stream(), limit, request.headers.get("content-encoding", ""))
    except ClientDisconnect as exc:
        raise bad_request("the client closed the connection while sending the body") from exc
    return parse_json_object(raw)


def checked_model(caller: auth.Caller, model: Any) -> str:
    """The model a non-relaying call names, held to the relay's rules (name shape, key's list)."""
    if not isinstance(model, str) or not model:
        raise bad_request("model is required" if not model else "model must be a string")
    check_model_name(model)
    auth.check_model(caller, model)
    return model
