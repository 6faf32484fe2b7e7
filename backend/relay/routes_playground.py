"""`POST /pg/chat/completions`: the console's playground. The caller is the logged-in user (the
console's session cookie, with new-api's `New-Api-User` header), spending their own quota with no
API key in between; otherwise the same pipeline as `/v1/chat/completions`."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request
from fastapi.responses import Response

from backend import cache
from backend.models.enums import UserStatus
from backend.relay import pipeline
from backend.relay.adaptors.base import RelayFormat
from backend.relay.auth import Caller
from backend.relay.context import new_request_id, request_id_of
from backend.relay.errors import RelayError, error_response, forbidden, unauthorized
from backend.services import sessions

router = APIRouter()


async def session_caller(request: Request) -> Caller:
    """401 without a live session (or with a New-Api-User header naming someone else), 403 for a
    disabled user. Routing and pricing use the user's own group."""
    cookie = request.cookies.get(sessions.COOKIE_NAME)
    uid = await asyncio.to_thread(sessions.verify, cookie) if cookie else None
    if uid is None:
        raise unauthorized("not logged in")
    if request.headers.get("New-Api-User", "") != str(uid):
        raise unauthorized("the New-Api-User header is missing or does not match the logged-in user")
    user = await cache.get_user(uid)
    if user is None:
        raise unauthorized("not logged in")
    if user.status != UserStatus.ENABLED:
        raise forbidden("this user has been disabled", code="user_disabled")
    return Caller(token=None, user=user, group=user.group, pinned_channel=None, ip=pipeline.client_ip(request))


@router.post("/pg/chat/completions")
async def playground(request: Request) -> Response:
    try:
        caller = await session_caller(request)
    except RelayError as err:
        return error_response(err, request_id_of(request.scope) or new_request_id())
    return await pipeline.relay(request, RelayFormat.OPENAI_CHAT, caller=caller)
