"""Baidu access tokens: a "client_id|client_secret" key exchanged at `<base>/oauth/2.0/token`
(client_credentials), cached per channel and key until an hour before expiry, one exchange at a
time per key. The HTTP client comes from the caller: adaptors own no connections."""

from __future__ import annotations

import asyncio
import hashlib
import time
from typing import Any, Protocol
from urllib.parse import urlencode

import orjson

from backend.relay.adaptors.base import UpstreamError, UpstreamRequest

REFRESH_MARGIN_S = 3600  # new-api renews tokens within an hour of expiry
DEFAULT_LIFETIME_S = 30 * 24 * 3600
BODY_CAP = 16 * 1024


class _Client(Protocol):
    async def send(self, req: UpstreamRequest) -> Any: ...


_tokens: dict[str, tuple[str, float]] = {}  # cache key -> (token, renew after, monotonic)
_locks: dict[str, asyncio.Lock] = {}


def clear() -> None:
    """Forget every cached token (tests)."""
    _tokens.clear()
    _locks.clear()


def split_key(key: str) -> tuple[str, str] | None:
    cid, sep, secret = key.strip().partition("|")
    return (cid, secret) if sep and cid and secret and "|" not in secret else None


async def access_token(client: _Client, channel_id: int, base: str, key: str, proxy: str | None) -> str:
    """A valid access token for the key. UpstreamError(401) when Baidu refuses the client, so the
    call reads as the channel's credentials failing; transport errors propagate."""
    name = f"{channel_id}:{hashlib.sha256(key.encode()).hexdigest()}"
    hit = _tokens.get(name)
    if hit is not None and hit[1] > time.monotonic():
        return hit[0]
    async with _locks.setdefault(name, asyncio.Lock()):
        hit = _tokens.get(name)
        if hit is not None and hit[1] > time.monotonic():
            return hit[0]
        token, lifetime = await _exchange(client, base, key, proxy)
        _tokens[name] = (token, time.monotonic() + max(lifetime - REFRESH_MARGIN_S, 0))
        return token


async def _exchange(client: _Client, base: str, key: str, proxy: str | None) -> tuple[str, int]:
    parts = split_key(key)
    if parts is None:
        raise UpstreamError(401, 'Baidu channel key must be "client_id|client_secret"', code="baidu_token_failed")
    query = urlencode({"grant_type": "client_credentials", "client_id": parts[0], "client_secret": parts[1]})
    req = UpstreamRequest("POST", f"{base}/oauth/2.0/token?{query}",
                          {"Content-Type": "application/json", "Accept": "application/json"}, None, False, proxy)
    resp = await client.send(req)
    try:
        raw = await resp.aread()
    finally:
        await resp.aclose()
    try:
        data = orjson.loads(raw[:BODY_CAP])
    except orjson.JSONDecodeError:
        data = None
    data = data if isinstance(data, dict) else {}
    token = data.get("access_token")
    if resp.status_code != 200 or data.get("error") or not isinstance(token, str) or not token:
        detail = data.get("error_description") or data.get("error") or resp.status_code
        status = resp.status_code if resp.status_code != 200 else 401
        raise UpstreamError(status, f"Baidu token exchange failed: {detail}", code="baidu_token_failed")
    lifetime = data.get("expires_in")
    return token, int(lifetime) if isinstance(lifetime, int | float) and lifetime > 0 else DEFAULT_LIFETIME_S
