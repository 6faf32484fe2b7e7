"""Ratio sync (new-api's `controller/ratio_sync.go`): the sources a root may pull prices from, and
the pull itself.

A source is another new-api-compatible site (`/api/ratio_config` or `/api/pricing`), a channel's
base URL, OpenRouter's `/v1/models` (with the channel's key), or models.dev's `/api.json`. Every
request goes through `safe_fetch` (SSRF rules checked on the URL, each redirect and each resolved
address), at most 8 at a time, each with the caller's timeout and a 10 MB cap. A source that fails
is reported in `test_results`, never the whole call.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

import orjson
import yarl
from sqlmodel import col, select

from backend.db import session_scope
from backend.models import Channel, channel_types
from backend.services import ratio_diff, safe_fetch, site_info, ssrf
from backend.services.errors import ServiceError, msg
from backend.services.ratio_convert import from_models_dev, from_openrouter, from_pricing_list

DEFAULT_ENDPOINT = "/api/pricing"
DEFAULT_TIMEOUT = 10
MAX_CONCURRENT = 8
MAX_BYTES = 10 << 20
ATTEMPTS = 3
PRESETS = [
    {"id": -100, "name": "官方倍率预设", "base_url": "https://basellm.github.io", "status": 1},
    {"id": -101, "name": "models.dev 价格预设", "base_url": "https://models.dev", "status": 1},
]
NO_UPSTREAM = "无有效上游渠道"  # new-api's answer when nothing usable was named


@dataclass(slots=True)
class Source:
    name: str
    base_url: str
    endpoint: str = ""
    channel_id: int = 0


def _channel_base(c: Channel) -> str:
    return (c.base_url or "").strip() or channel_types.default_base_url(c.type)


def syncable_channels() -> list[dict[str, Any]]:
    """Every channel with a base URL (its own or its type's), then new-api's two presets."""
    with session_scope() as s:
        rows = s.exec(select(Channel).order_by(col(Channel.priority).desc(), col(Channel.id).desc())).all()
        found = [{"id": c.id, "name": c.name, "base_url": _channel_base(c), "status": c.status, "type": c.type}
                 for c in rows if _channel_base(c)]
    return found + [dict(p) for p in PRESETS]


def _checked(url: str, what: str, policy: ssrf.FetchPolicy) -> None:
    try:
        ssrf.check_url(url, policy)
    except ssrf.BlockedURL as exc:
        raise ServiceError(msg("upstream {what} {url!r} failed validation: {message}", what=what, url=url, message=exc.detail)) from None


def sources_from_request(upstreams: list[dict[str, Any]], channel_ids: list[int]) -> list[Source]:
    """new-api's rules: named upstreams win over channel ids; a base URL not starting with "http" is
    skipped; a URL the fetch rules refuse is a 400 before anything is fetched."""
    policy = ssrf.policy_from_options()
    found: list[Source] = []
    if upstreams:
        for u in upstreams:
            base, endpoint = str(u.get("base_url") or ""), str(u.get("endpoint") or "")
            if not base.startswith("http"):
                continue
            _checked(base, "base_url", policy)
            if endpoint.startswith("http"):
                _checked(endpoint, "endpoint", policy)
            found.append(Source(str(u.get("name") or ""), base.rstrip("/"), endpoint or DEFAULT_ENDPOINT,
                                int(u.get("id") or 0)))
        return found
    if channel_ids:
        with session_scope() as s:
            rows = s.exec(select(Channel).where(col(Channel.id).in_(channel_ids))).all()
            for c in rows:
                base = _channel_base(c)
                if base.startswith("http"):
                    found.append(Source(c.name, base.rstrip("/"), "", c.id or 0))
    return found


def _url(src: Source) -> str:
    if src.endpoint == "openrouter":
        return src.base_url + "/v1/models"
    if src.endpoint.startswith(("http://", "https://")):
        return src.endpoint
    endpoint = src.endpoint or DEFAULT_ENDPOINT
    return src.base_url + (endpoint if endpoint.startswith("/") else "/" + endpoint)


def _is_models_dev(url: str) -> bool:
    parsed = yarl.URL(url)
    return (parsed.host or "").lower() == "models.dev" and (parsed.path.rstrip("/") or "/") == "/api.json"


def _channel_key(channel_id: int) -> str:
    """The first key of the channel (multi-key channels hold one per line)."""
    with session_scope() as s:
        c = s.get(Channel, channel_id)
        if c is None:
            raise ServiceError(msg("failed to get channel key: channel not found"))
        return next((k.strip() for k in (c.key or "").splitlines() if k.strip()), "")


async def _get(url: str, headers: dict[str, str], timeout: float) -> bytes:
    last: Exception | None = None
    for attempt in range(ATTEMPTS):
        try:
            got = await safe_fetch.fetch(url, headers=headers, max_bytes=MAX_BYTES, timeout=timeout)
        except safe_fetch.FetchFailed as exc:  # transport trouble: retried, as new-api does
            last = exc
            await asyncio.sleep(0.2 * (1 << attempt))
            continue
        if got.status != 200:
            raise ServiceError(msg("{status}", status=got.status))
        return got.body
    assert last is not None
    raise last


def parse_site_answer(body: bytes) -> dict[str, Any]:
    """`{success, data}` from /api/ratio_config (data: tables) or /api/pricing (data: a list)."""
    try:
        doc = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise ServiceError(msg("invalid JSON: {exc}", exc=exc)) from None
    if not isinstance(doc, dict):
        raise ServiceError(msg("无法解析上游返回数据"))
    if not doc.get("success"):
        if doc.get("message"):  # the upstream's own words, passed through
            raise ServiceError(msg("{message}", message=str(doc["message"])))
        raise ServiceError(msg("upstream answered success=false"))
    data = doc.get("data")
    if isinstance(data, dict) and any(f in data for f in (*ratio_diff.SYNC_FIELDS, "image_ratio", "audio_ratio",
                                                          "audio_completion_ratio", "billing_mode", "billing_expr")):
        return data
    if isinstance(data, list):
        return from_pricing_list(data)
    raise ServiceError(msg("无法解析上游返回数据"))


async def _pull(src: Source, timeout: float) -> dict[str, Any]:
    url = _url(src)
    headers: dict[str, str] = {}
    if src.endpoint == "openrouter":
        if not src.channel_id:
            raise ServiceError(msg("OpenRouter requires a valid channel with API key"))
        key = await asyncio.to_thread(_channel_key, src.channel_id)
        if not key:
            raise ServiceError(msg("no API key configured for this channel"))
        headers["Authorization"] = f"Bearer {key}"
        return from_openrouter(await _get(url, headers, timeout))
    body = await _get(url, headers, timeout)
    if _is_models_dev(url):
        return from_models_dev(body)
    return parse_site_answer(body)


async def fetch(upstreams: list[dict[str, Any]], channel_ids: list[int], timeout: float) -> dict[str, Any] | None:
    """Pull every source, compare with our tables, answer new-api's `{differences, prices, test_results}`;
    None when the request names no usable source."""
    sources = await asyncio.to_thread(sources_from_request, upstreams, channel_ids)
    if not sources:
        return None
    timeout = timeout if timeout > 0 else DEFAULT_TIMEOUT
    gate = asyncio.Semaphore(MAX_CONCURRENT)

    async def one(src: Source) -> tuple[str, dict[str, Any] | None, str]:
        name = f"{src.name}({src.channel_id})" if src.channel_id else src.name
        async with gate:
            try:
                return name, await _pull(src, timeout), ""
            except ssrf.BlockedURL as exc:
                return name, None, exc.message
            except ServiceError as exc:
                return name, None, exc.message

    results = await asyncio.gather(*(one(s) for s in sources))
    local = ratio_diff.effective(await asyncio.to_thread(site_info.ratio_tables))
    ok = [(name, ratio_diff.effective(data)) for name, data, _err in results if data is not None]
    diffs = ratio_diff.differences(local, ok)
    tests = [{"name": name, "status": "success"} if data is not None else {"name": name, "status": "error", "error": err}
             for name, data, err in results]
    return {"differences": diffs, "prices": ratio_diff.prices(local, ok, diffs), "test_results": tests}
