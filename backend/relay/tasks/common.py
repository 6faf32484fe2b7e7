"""What every task relay shares: the caller's key, the channel, one upstream call with a deadline."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import orjson
from fastapi import Request

from backend import client_ip as client_address
from backend.cache import channels
from backend.cache.channels import ChannelInfo
from backend.relay import auth, distributor
from backend.relay.adaptors.base import UpstreamRequest
from backend.relay.auth import Caller
from backend.relay.upstream import UpstreamTransportError, get_client

SUBMIT_TIMEOUT_S = 60.0
FETCH_TIMEOUT_S = 30.0
MAX_UPSTREAM_BODY = 16 << 20  # a task reply is a small JSON document; anything larger is refused


class UpstreamFailed(Exception):
    """The upstream could not be reached, timed out, or answered something unreadable."""


@dataclass(frozen=True, slots=True)
class Reply:
    status: int
    body: bytes
    headers: Mapping[str, str]

    def json(self) -> Any:
        try:
            return orjson.loads(self.body)
        except orjson.JSONDecodeError as exc:
            raise UpstreamFailed("the upstream's reply is not JSON") from exc


async def caller_of(request: Request, *, mj: bool = False) -> Caller:
    """The key from `Authorization: Bearer`; for Midjourney also `mj-api-secret` (new-api's MjAuth:
    used when the bearer is empty or the placeholder `midjourney-proxy`). RelayError when refused."""
    raw = auth.extract_key(request.headers)
    if mj and (not raw or raw == "midjourney-proxy"):
        raw = request.headers.get("mj-api-secret", "").strip()
    return await auth.authenticate(request.headers, client_address.client_ip(request.scope), api_key=raw or None)


async def route_for(caller: Caller, model: str) -> distributor.Route:
    """A channel serving `model` in the caller's group (RelayError 503 when none, 403 on the key's
    model list)."""
    auth.check_model(caller, model)
    return await distributor.route(caller.group, model, 0, frozenset(), caller.pinned_channel)


def channel_of(channel_id: int) -> ChannelInfo | None:
    """The enabled channel a stored task ran on (follow-up actions and polls go back to it)."""
    return channels.get_channel(channel_id)


async def send(channel: ChannelInfo, method: str, url: str, headers: dict[str, str], body: bytes | None,
               timeout: float) -> Reply:
    """One upstream call, read whole (task replies are small), within `timeout` seconds."""
    proxy = channel.setting.get("proxy") if isinstance(channel.setting.get("proxy"), str) else None
    request = UpstreamRequest(method=method, url=url, headers=headers, body=body, stream=False, proxy=proxy or None)

    async def call() -> Reply:
        resp = await get_client().send(request)
        try:
            data = bytearray()
            async for chunk in resp.aiter_bytes():
                data += chunk
                if len(data) > MAX_UPSTREAM_BODY:
                    raise UpstreamFailed("the upstream's reply is too large")
            return Reply(resp.status_code, bytes(data), resp.headers)
        finally:
            await resp.aclose()

    try:
        return await asyncio.wait_for(call(), timeout)
    except (UpstreamTransportError, TimeoutError) as exc:
        raise UpstreamFailed(type(exc).__name__) from exc
