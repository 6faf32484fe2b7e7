"""Vertex AI access tokens: a service-account key's signed JWT exchanged at Google's token
endpoint (RFC 7523), cached per channel key until shortly before it expires.

One exchange at a time per key (a lock), so a burst of calls after expiry buys one token, not one
each. The HTTP client comes from the caller: adaptors own no connections.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import urlencode

import orjson

from backend.relay.adaptors.base import UpstreamError, UpstreamRequest
from backend.relay.convert.vertex import Credentials, signed_assertion

REFRESH_MARGIN_S = 300  # renew five minutes early: a call may take a while after the token is read
DEFAULT_LIFETIME_S = 3600
GRANT_TYPE = "urn:ietf:params:oauth:grant-type:jwt-bearer"
ERROR_BODY_CAP = 16 * 1024


class _Client(Protocol):
    async def send(self, req: UpstreamRequest) -> Any: ...


@dataclass(slots=True)
class _Token:
    value: str
    expires_at: float  # time.monotonic()


_tokens: dict[str, _Token] = {}
_locks: dict[str, asyncio.Lock] = {}


def _cache_key(channel_id: int, key: str) -> str:
    """Per channel and key (multi-key channels hold several accounts); the key itself is hashed."""
    return f"{channel_id}:{hashlib.sha256(key.encode()).hexdigest()}"


def clear() -> None:
    """Forget every cached token (tests; a channel's key change also misses by its new hash)."""
    _tokens.clear()
    _locks.clear()


async def access_token(client: _Client, channel_id: int, key: str, creds: Credentials, proxy: str | None) -> str:
    """A valid access token for this service account, from the cache or a fresh exchange.
    UpstreamError when the token endpoint refuses (its status kept, so 401/403 read as the
    channel's credentials failing); the client's transport error propagates as it is."""
    name = _cache_key(channel_id, key)
    cached = _tokens.get(name)
    if cached is not None and cached.expires_at > time.monotonic():
        return cached.value
    lock = _locks.setdefault(name, asyncio.Lock())
    async with lock:
        cached = _tokens.get(name)
        if cached is not None and cached.expires_at > time.monotonic():
            return cached.value
        token, lifetime = await _exchange(client, creds, proxy)
        _tokens[name] = _Token(token, time.monotonic() + max(lifetime - REFRESH_MARGIN_S, 0))
        return token


async def _exchange(client: _Client, creds: Credentials, proxy: str | None) -> tuple[str, int]:
    body = urlencode({"grant_type": GRANT_TYPE, "assertion": signed_assertion(creds, int(time.time()))}).encode()
    req = UpstreamRequest("POST", creds.token_uri, {"Content-Type": "application/x-www-form-urlencoded",
                                                      "Accept": "application/json"}, body, False, proxy)
    resp = await client.send(req)
    try:
        raw = await resp.aread()
    finally:
        await resp.aclose()
    try:
        data = orjson.loads(raw[:ERROR_BODY_CAP] if resp.status_code != 200 else raw)
    except orjson.JSONDecodeError:
        data = None
    if resp.status_code != 200:
        detail = data.get("error_description") or data.get("error") if isinstance(data, dict) else None
        raise UpstreamError(resp.status_code, f"Vertex AI token exchange failed: {detail or resp.status_code}",
                            code="vertex_token_failed")
    if not isinstance(data, dict) or not isinstance(data.get("access_token"), str) or not data["access_token"]:
        raise UpstreamError(502, "Vertex AI token endpoint answered without an access_token", code="vertex_token_failed")
    lifetime = data.get("expires_in")
    return data["access_token"], int(lifetime) if isinstance(lifetime, int | float) and lifetime > 0 else DEFAULT_LIFETIME_S
