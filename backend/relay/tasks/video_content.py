"""`GET /v1/videos/{id}/content`: a finished video's bytes for its owner (new-api's VideoProxy),
who shows either a key (API clients) or the console's session cookie (the task log's preview link,
a plain link that can carry no header; the video is only ever the logged-in user's own).

OpenAI-style upstreams are asked for `/v1/videos/{upstream id}/content` and streamed through; a
provider of the table says where its video is: a URL the upstream handed out (fetched under the
SSRF rules), bytes kept in the task (Vertex), or an upstream request needing the channel's key
(Gemini), streamed through so the key never reaches the caller.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from fastapi import Request
from fastapi.responses import Response, StreamingResponse

from backend import cache
from backend.cache.channels import ChannelInfo
from backend.models import Task
from backend.models.enums import UserStatus
from backend.models.task import SUCCESS
from backend.relay import auth
from backend.relay.adaptors.base import UpstreamRequest
from backend.relay.errors import RelayError, forbidden, unauthorized
from backend.relay.tasks.common import FETCH_TIMEOUT_S, caller_of, channel_of
from backend.relay.tasks.providers import provider_of_platform
from backend.relay.tasks.providers.base import Outbound
from backend.relay.tasks.submit import TaskRefused, from_relay_error
from backend.relay.tasks.video_errors import openai_error
from backend.relay.upstream import UpstreamTransportError, get_client
from backend.services import safe_fetch, sessions, tasks
from backend.services.errors import ServiceError


async def _owner(request: Request) -> int:
    """The user asking: by key when one is sent, else by a live console session."""
    cookie = request.cookies.get(sessions.COOKIE_NAME)
    if auth.extract_key(request.headers) or not cookie:
        return (await caller_of(request)).user.id
    uid = await asyncio.to_thread(sessions.verify, cookie)
    user = await cache.get_user(uid) if uid is not None else None
    if user is None:
        raise unauthorized("not logged in")
    if user.status != UserStatus.ENABLED:
        raise forbidden("this user has been disabled", code="user_disabled")
    return user.id


async def _finished(request: Request, task_id: str) -> tuple[Task, ChannelInfo]:
    row = await asyncio.to_thread(tasks.get_task, await _owner(request), task_id)
    if row is None or row.platform == "suno":
        raise TaskRefused("task_not_exist", "task_not_exist", 404)
    if row.status != SUCCESS:
        raise TaskRefused("video_not_ready", "the video is not ready", 404)
    channel = channel_of(row.channel_id)
    if channel is None:
        raise TaskRefused("task_channel_disable", "the channel of this task is disabled", 400)
    return row, channel


async def _stream(channel: ChannelInfo, out: Outbound) -> Response:
    proxy = channel.setting.get("proxy") if isinstance(channel.setting.get("proxy"), str) else None
    req = UpstreamRequest(out.method, out.url, out.headers, out.body, stream=True, proxy=proxy or None)
    try:
        resp = await asyncio.wait_for(get_client().send(req), FETCH_TIMEOUT_S)
    except (UpstreamTransportError, TimeoutError):
        return openai_error(TaskRefused("do_request_failed", "the upstream could not be reached", 502))
    if resp.status_code != 200:
        await resp.aclose()
        return openai_error(TaskRefused("fail_to_fetch_content", "the upstream has no content for this video", 502))

    async def body() -> AsyncIterator[bytes]:
        try:
            async for chunk in resp.aiter_bytes():
                yield chunk
        except UpstreamTransportError:
            return
        finally:
            with contextlib.suppress(Exception):
                await resp.aclose()

    return StreamingResponse(body(), media_type=resp.headers.get("Content-Type") or "video/mp4")


async def content(request: Request, task_id: str) -> Response:
    try:
        row, channel = await _finished(request, task_id)
    except RelayError as exc:
        return openai_error(from_relay_error(exc))
    except TaskRefused as exc:
        return openai_error(exc)
    key = channel.keys[0] if channel.keys else ""
    provider = provider_of_platform(row.platform)
    if provider is None:
        url = f"{channel.base_url}/v1/videos/{(row.private_data or {}).get('upstream_task_id', '')}/content"
        query = request.url.query
        return await _stream(channel, Outbound("GET", url + (f"?{query}" if query else ""),
                                               {"Authorization": f"Bearer {key}"}))
    found = provider.content(row, channel, key)
    if found.upstream is not None:
        return await _stream(channel, found.upstream)
    if found.data:
        return Response(found.data, media_type=found.mime)
    if not found.url:
        return openai_error(TaskRefused("fail_to_fetch_content", "the upstream gave no video for this task", 502))
    try:
        fetched = await safe_fetch.fetch(found.url)
    except ServiceError:  # refused by a fetch rule, or unreachable
        return openai_error(TaskRefused("fetch_failed", "the video could not be fetched", 502))
    return Response(fetched.body, media_type=fetched.headers.get("Content-Type") or "video/mp4")
