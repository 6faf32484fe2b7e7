"""Admin-side calls to a channel's upstream account: its balance and its model list.

Balances: OpenAI-like `/v1/dashboard/billing/subscription` + `/usage` (US$), SiliconFlow
`/v1/user/info`, DeepSeek `/user/balance` (CNY), OpenRouter `/api/v1/credits` (US$). The figure is
stored as the provider reports it, with the time it was read.
"""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import orjson
from sqlalchemy import update
from sqlmodel import col, select

from backend import lifecycle
from backend.cache.channels import ChannelInfo, split_keys
from backend.config import get_settings
from backend.db import session_scope
from backend.models import Channel, channel_types
from backend.models.enums import ChannelStatus
from backend.relay.adaptors.errors import upstream_error
from backend.services import channel_health
from backend.services.errors import NotFound, ServiceError, msg

log = logging.getLogger("newapi.channels")
TIMEOUT = 20.0
OPENAI, CUSTOM, OPENROUTER, SILICONFLOW, DEEPSEEK = 1, 8, 20, 40, 43
BALANCE_TYPES = frozenset({OPENAI, CUSTOM, OPENROUTER, SILICONFLOW, DEEPSEEK})


async def _get_json(url: str, headers: dict[str, str], proxy: str | None = None) -> Any:
    """GET a JSON document; a non-200 or a non-JSON body is a 400 carrying the upstream's message."""
    try:
        async with httpx.AsyncClient(timeout=TIMEOUT, trust_env=False, proxy=proxy, follow_redirects=False) as client:
            resp = await client.get(url, headers=headers)
    except (httpx.HTTPError, ValueError) as exc:
        raise ServiceError(msg("upstream request failed: {error}", error=type(exc).__name__)) from exc
    if resp.status_code != 200:
        raise ServiceError(msg("upstream answered {status_code}: {message}", status_code=resp.status_code, message=upstream_error(resp.status_code, resp.content).message))
    try:
        return orjson.loads(resp.content)
    except orjson.JSONDecodeError:
        raise ServiceError(msg("upstream answered with a body that is not JSON")) from None


def _number(value: Any, what: str) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        raise ServiceError(msg("upstream reply has no usable {what}", what=what)) from None


def base_url_of(info: ChannelInfo) -> str:
    base = info.base_url or channel_types.default_base_url(info.type)
    if not base:
        raise ServiceError(msg("the channel has no base URL"))
    return base.rstrip("/")


def proxy_of(info: ChannelInfo) -> str | None:
    proxy = info.setting.get("proxy")
    return proxy if isinstance(proxy, str) and proxy else None


async def fetch_balance(info: ChannelInfo) -> float:
    """The account's remaining balance as the provider reports it."""
    if not info.keys:
        raise ServiceError(msg("the channel has no key"))
    base, proxy = base_url_of(info), proxy_of(info)
    auth = {"Authorization": f"Bearer {info.keys[0]}"}
    if info.type == SILICONFLOW:
        data = await _get_json(f"{base}/v1/user/info", auth, proxy)
        return _number((data.get("data") or {}).get("totalBalance") if isinstance(data, dict) else None, "totalBalance")
    if info.type == DEEPSEEK:
        data = await _get_json(f"{base}/user/balance", auth, proxy)
        infos = data.get("balance_infos") if isinstance(data, dict) else None
        if not isinstance(infos, list) or not infos:
            raise ServiceError(msg("upstream reply has no balance_infos"))
        chosen = next((i for i in infos if isinstance(i, dict) and i.get("currency") == "CNY"), infos[0])
        return _number(chosen.get("total_balance") if isinstance(chosen, dict) else None, "total_balance")
    if info.type == OPENROUTER:
        url = f"{base}/v1/credits" if base.endswith("/api") else f"{base}/api/v1/credits"
        data = await _get_json(url, auth, proxy)
        credits = data.get("data") if isinstance(data, dict) else None
        if not isinstance(credits, dict):
            raise ServiceError(msg("upstream reply has no data"))
        return _number(credits.get("total_credits"), "total_credits") - _number(credits.get("total_usage"), "total_usage")
    if info.type in (OPENAI, CUSTOM):
        return await _openai_balance(base, auth, proxy)
    raise ServiceError(msg("balance queries are not supported for {type} channels", type=channel_types.channel_type_name(info.type)))


async def _openai_balance(base: str, auth: dict[str, str], proxy: str | None) -> float:
    sub = await _get_json(f"{base}/v1/dashboard/billing/subscription", auth, proxy)
    if not isinstance(sub, dict):
        raise ServiceError(msg("upstream subscription reply is not an object"))
    limit = _number(sub.get("hard_limit_usd"), "hard_limit_usd")
    today = datetime.now(UTC).date()
    start = today.replace(day=1) if sub.get("has_payment_method") else today - timedelta(days=100)
    usage = await _get_json(f"{base}/v1/dashboard/billing/usage?start_date={start}&end_date={today}", auth, proxy)
    used_cents = _number(usage.get("total_usage") if isinstance(usage, dict) else None, "total_usage")
    return limit - used_cents / 100


def load_info(channel_id: int) -> ChannelInfo:
    with session_scope() as s:
        row = s.get(Channel, channel_id)
        if row is None:
            raise NotFound(msg("channel not found"))
        return ChannelInfo.from_row(row)


def _store(channel_id: int, balance: float) -> None:
    with session_scope() as s:
        s.execute(
            update(Channel).where(col(Channel.id) == channel_id)
            .values(balance=balance, balance_updated_time=int(time.time()))
        )


async def update_balance(channel_id: int) -> float:
    info = await asyncio.to_thread(load_info, channel_id)
    balance = round(await fetch_balance(info), 6)
    await asyncio.to_thread(_store, channel_id, balance)
    return balance


def _enabled_ids() -> list[int]:
    with session_scope() as s:
        rows = s.exec(
            select(Channel.id).where(Channel.status == ChannelStatus.ENABLED, col(Channel.type).in_(BALANCE_TYPES))
        ).all()
    return [int(i) for i in rows]


async def update_all_balances() -> dict[str, int]:
    """Refresh every enabled channel whose type reports a balance; an exhausted account (balance
    <= 0) is disabled when auto-disable is on."""
    updated = failed = 0
    for channel_id in await asyncio.to_thread(_enabled_ids):
        try:
            balance = await update_balance(channel_id)
        except ServiceError as exc:
            failed += 1
            log.info("balance of channel #%s not updated: %s", channel_id, exc.message)
            continue
        updated += 1
        if balance <= 0:
            await channel_health.auto_disable(channel_id, "余额不足 (balance exhausted)")
    return {"updated": updated, "failed": failed}


# ---- upstream model list --------------------------------------------------------------------


async def fetch_models(base_url: str, channel_type: int, key: str, setting: dict | None = None) -> list[str]:
    """The upstream's own model list, by its family's listing endpoint."""
    keys = split_keys(key)
    if not keys:
        raise ServiceError(msg("key must not be empty"))
    ctype = channel_types.channel_type(channel_type)
    if ctype.family == channel_types.CUSTOM:
        raise ServiceError(msg("a custom channel's URL is a single endpoint; it has no model list"))
    if ctype.family in channel_types.NO_MODEL_LIST:
        raise ServiceError(msg("{name} has no model list API; enter the channel's models by hand", name=ctype.name))
    base = (base_url or ctype.base_url).strip().rstrip("/")
    if not base.startswith(("http://", "https://")):
        raise ServiceError(msg("base_url must start with http:// or https://"))
    proxy = (setting or {}).get("proxy")
    proxy = proxy if isinstance(proxy, str) and proxy else None
    if ctype.family == channel_types.GEMINI:
        data = await _get_json(f"{base}/v1beta/models?pageSize=1000", {"x-goog-api-key": keys[0]}, proxy)
        items = data.get("models") if isinstance(data, dict) else None
        names = [m.get("name", "") for m in items or [] if isinstance(m, dict)]
        return [n.removeprefix("models/") for n in names if n]
    if ctype.family == channel_types.ANTHROPIC:
        headers = {"x-api-key": keys[0], "anthropic-version": "2023-06-01"}
        data = await _get_json(f"{base}/v1/models?limit=1000", headers, proxy)
    elif ctype.family == channel_types.OLLAMA:
        data = await _get_json(f"{base}/api/tags", {}, proxy)
        return [m["name"] for m in (data.get("models") or []) if isinstance(m, dict) and m.get("name")]
    else:
        data = await _get_json(f"{base}{ctype.path_prefix}/models", {"Authorization": f"Bearer {keys[0]}"}, proxy)
    items = data.get("data") if isinstance(data, dict) else None
    if not isinstance(items, list):
        raise ServiceError(msg("upstream model list has no `data` array"))
    return [str(m["id"]) for m in items if isinstance(m, dict) and m.get("id")]


async def fetch_channel_models(channel_id: int) -> list[str]:
    info = await asyncio.to_thread(load_info, channel_id)
    return await fetch_models(info.base_url, info.type, "\n".join(info.keys), info.setting)


# ---- periodic refresh -----------------------------------------------------------------------

def _refresh_enabled() -> bool:
    s = get_settings()
    return s.CHANNEL_UPDATE_FREQUENCY > 0 and s.NODE_TYPE != "slave"


_periodic = lifecycle.PeriodicJob(
    "newapi-channel-balance", lambda: get_settings().CHANNEL_UPDATE_FREQUENCY * 60, update_all_balances,
    enabled=_refresh_enabled,
)
