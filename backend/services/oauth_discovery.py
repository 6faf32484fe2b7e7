"""OpenID Connect discovery documents (`.well-known/openid-configuration`), fetched once per URL
and remembered for an hour: OIDC and custom providers may name only their discovery URL."""

from __future__ import annotations

import threading
import time
from typing import Any

import httpx

from backend import lifecycle
from backend.config import get_settings
from backend.services.errors import ServiceError, msg

TTL_SECONDS = 3600.0
MAX_BYTES = 1024 * 1024

_lock = threading.Lock()
_cache: dict[str, tuple[dict[str, Any], float]] = {}


def fetch(url: str) -> dict[str, Any]:
    """The document at `url`, fresh. ServiceError when it cannot be read (message safe to show)."""
    if not url.startswith(("https://", "http://")):
        raise ServiceError(msg("the discovery URL must be an http(s) URL"))
    try:
        reply = httpx.get(url, headers={"Accept": "application/json"}, timeout=get_settings().OAUTH_HTTP_TIMEOUT)
    except httpx.HTTPError as exc:
        raise ServiceError(msg("could not fetch the discovery document"), 502) from exc
    if reply.status_code != 200 or len(reply.content) > MAX_BYTES:
        raise ServiceError(msg("the discovery document could not be read (HTTP {status_code})", status_code=reply.status_code), 502)
    try:
        doc = reply.json()
    except ValueError as exc:
        raise ServiceError(msg("the discovery document is not JSON"), 502) from exc
    if not isinstance(doc, dict):
        raise ServiceError(msg("the discovery document is not a JSON object"), 502)
    return doc


def document(url: str) -> dict[str, Any]:
    """`fetch`, remembered for TTL_SECONDS."""
    now = time.monotonic()
    with _lock:
        hit = _cache.get(url)
    if hit is not None and hit[1] > now:
        return hit[0]
    doc = fetch(url)
    with _lock:
        _cache[url] = (doc, now + TTL_SECONDS)
    return doc


@lifecycle.on_reset
def _reset() -> None:
    with _lock:
        _cache.clear()
