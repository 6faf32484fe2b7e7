"""`GET /api/uptime/status`: the Uptime Kuma status pages the root configured, proxied.

The groups live in the option `console_setting.uptime_kuma_groups` (new-api's key): a JSON array of
`{categoryName, url, slug}`. For each, Kuma's public `/api/status-page/<slug>` (monitors) and
`/api/status-page/heartbeat/<slug>` (last beats, 24 h uptime) are read through `safe_fetch` (the
URL is the root's, but the SSRF rules still say what the server may reach), and folded into new-api's
shape: `[{categoryName, monitors: [{name, uptime, status, group}]}]`. A page that cannot be read
gives its category with no monitors, as new-api does: one dead status page must not hide the others.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any
from urllib.parse import quote

import orjson

from backend.services import options, safe_fetch
from backend.services.errors import ServiceError, msg

log = logging.getLogger("newapi.uptime")
GROUPS_OPTION = "console_setting.uptime_kuma_groups"
FETCH_TIMEOUT_S = 10.0
MAX_BYTES = 2 * 1024 * 1024
MAX_GROUPS = 20


def parse_groups(raw: str) -> list[dict[str, str]]:
    """The option's groups; ServiceError when the value is not what new-api's settings page saves."""
    if not raw.strip():
        return []
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise ServiceError(msg("{groups_option} must be a JSON array: {exc}", groups_option=GROUPS_OPTION, exc=exc)) from exc
    if not isinstance(value, list) or not all(isinstance(g, dict) for g in value):
        raise ServiceError(msg("{groups_option} must be a JSON array of objects", groups_option=GROUPS_OPTION))
    if len(value) > MAX_GROUPS:
        raise ServiceError(msg("{groups_option}: at most {max_groups} groups", groups_option=GROUPS_OPTION, max_groups=MAX_GROUPS))
    groups = []
    for g in value:
        url, slug = str(g.get("url") or "").strip(), str(g.get("slug") or "").strip()
        if url and not url.lower().startswith(("http://", "https://")):
            raise ServiceError(msg("{groups_option}: {url!r} is not an http(s) URL", groups_option=GROUPS_OPTION, url=url))
        groups.append({"categoryName": str(g.get("categoryName") or ""), "url": url, "slug": slug})
    return groups


def configured_groups() -> list[dict[str, str]]:
    try:
        return parse_groups(options.get(GROUPS_OPTION))
    except ServiceError as exc:
        log.warning("ignoring %s: %s", GROUPS_OPTION, exc.message)
        return []


async def _get_json(url: str) -> Any:
    fetched = await safe_fetch.fetch(url, timeout=FETCH_TIMEOUT_S, max_bytes=MAX_BYTES,
                                     headers={"Accept": "application/json"})
    if fetched.status != 200:
        raise safe_fetch.FetchFailed(msg("status {status}", status=fetched.status))
    return orjson.loads(fetched.body)


def _monitors(status: Any, beats: Any) -> list[dict[str, Any]]:
    uptimes = beats.get("uptimeList") if isinstance(beats, dict) else None
    heartbeats = beats.get("heartbeatList") if isinstance(beats, dict) else None
    uptimes = uptimes if isinstance(uptimes, dict) else {}
    heartbeats = heartbeats if isinstance(heartbeats, dict) else {}
    groups = status.get("publicGroupList") if isinstance(status, dict) else None
    result = []
    for group in groups if isinstance(groups, list) else []:
        monitors = group.get("monitorList") if isinstance(group, dict) else None
        for m in monitors if isinstance(monitors, list) else []:
            if not isinstance(m, dict):
                continue
            mid = str(m.get("id"))
            uptime = uptimes.get(f"{mid}_24", 0)
            beats_of = heartbeats.get(mid)
            last = beats_of[0] if isinstance(beats_of, list) and beats_of and isinstance(beats_of[0], dict) else {}
            result.append({
                "name": str(m.get("name") or ""),
                "uptime": uptime if isinstance(uptime, int | float) and not isinstance(uptime, bool) else 0,
                "status": last.get("status", 0) if isinstance(last.get("status", 0), int) else 0,
                "group": str(group.get("name") or ""),
            })
    return result


async def _group_status(group: dict[str, str]) -> dict[str, Any]:
    result: dict[str, Any] = {"categoryName": group["categoryName"], "monitors": []}
    if not group["url"] or not group["slug"]:
        return result
    base, slug = group["url"].rstrip("/"), quote(group["slug"], safe="")
    try:
        status, beats = await asyncio.gather(_get_json(f"{base}/api/status-page/{slug}"),
                                             _get_json(f"{base}/api/status-page/heartbeat/{slug}"))
    except (ServiceError, ValueError) as exc:
        log.info("uptime kuma page %s/%s unreadable: %s", base, slug, getattr(exc, "message", type(exc).__name__))
        return result
    result["monitors"] = _monitors(status, beats)
    return result


async def status() -> list[dict[str, Any]]:
    groups = configured_groups()
    return list(await asyncio.gather(*(_group_status(g) for g in groups)))
