"""`GET /api/channel/:id/codex/usage` (admins): the Codex account's rate-limit windows, read from
the ChatGPT backend (`{base}/backend-api/wham/usage`) with the channel's OAuth key. A 401/403 with
a refresh token on file refreshes the key once (`services/codex_oauth.refresh`) and asks again.
The upstream's status and body go back as they came (new-api's `upstream_status` + `data`)."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import orjson

from backend.cache.channels import ChannelInfo
from backend.relay.channel_balance import base_url_of, proxy_of
from backend.services import codex_oauth
from backend.services.errors import ServiceError, msg

PATH = "/backend-api/wham/usage"
TIMEOUT = 15.0
FAILED = msg("获取用量信息失败，请稍后重试")


async def _wham(info: ChannelInfo, token: str, account: str) -> tuple[int, bytes]:
    headers = {"Authorization": f"Bearer {token}", "chatgpt-account-id": account, "Accept": "application/json",
               "originator": "codex_cli_rs"}
    try:
        async with httpx.AsyncClient(timeout=TIMEOUT, trust_env=False, proxy=proxy_of(info),
                                     follow_redirects=False) as client:
            resp = await client.get(base_url_of(info) + PATH, headers=headers)
    except httpx.HTTPError as exc:
        raise ServiceError(FAILED, 502) from exc
    return resp.status_code, resp.content


def _credentials(key: dict[str, Any]) -> tuple[str, str]:
    token, account = key.get("access_token"), key.get("account_id")
    if not isinstance(token, str) or not token.strip():
        raise ServiceError(msg("codex channel: access_token is required"))
    if not isinstance(account, str) or not account.strip():
        raise ServiceError(msg("codex channel: account_id is required"))
    return token.strip(), account.strip()


async def usage(channel_id: int) -> dict[str, Any]:
    """The envelope new-api answers with: success follows the upstream's status."""
    row = await asyncio.to_thread(codex_oauth.codex_channel, channel_id)
    info = ChannelInfo.from_row(row)
    if info.multi_key_mode:
        raise ServiceError(msg("multi-key channel is not supported"))
    key = codex_oauth.stored_key(row)
    status, raw = await _wham(info, *_credentials(key))
    if status in (401, 403) and str(key.get("refresh_token") or "").strip():
        try:
            await asyncio.to_thread(codex_oauth.refresh, channel_id)
        except ServiceError:
            pass  # the first answer stands
        else:
            fresh = codex_oauth.stored_key(await asyncio.to_thread(codex_oauth.codex_channel, channel_id))
            status, raw = await _wham(info, *_credentials(fresh))
    try:
        payload: Any = orjson.loads(raw)
    except orjson.JSONDecodeError:
        payload = raw.decode("utf-8", "replace")
    ok = 200 <= status < 300
    return {"success": ok, "message": "" if ok else f"upstream status: {status}", "upstream_status": status,
            "data": payload}
