"""API-key auth for the relay: which token, which user, which group, which pinned channel.

new-api's rules (reference §2) with two of its holes closed: the client IP is the socket peer
unless that peer is a trusted proxy (TRUSTED_PROXIES, `backend/client_ip.py`), so a forged
X-Forwarded-For cannot satisfy allow_ips; and allow_ips entries may be CIDR ranges.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache

from sqlalchemy.exc import TimeoutError as PoolTimeout

from backend import cache, lifecycle
from backend.cache import TokenInfo, UserInfo
from backend.models.enums import Role, TokenStatus, UserStatus
from backend.relay.errors import forbidden, server_busy, unauthorized
from backend.relay.redact import clip
from backend.services import groups, ledger, tokens

log = logging.getLogger("newapi.relay.auth")


@dataclass(frozen=True, slots=True)
class Caller:
    token: TokenInfo | None  # None: the console playground (a session, no API key)
    user: UserInfo
    group: str  # the group used for routing and pricing: the token's, else the user's
    pinned_channel: int | None  # `sk-KEY-<id>` (admins only)
    ip: str


def extract_key(headers: Mapping[str, str]) -> str:
    """The raw key from `Authorization: Bearer …`, else `x-api-key`."""
    raw = headers.get("authorization", "").strip()
    if raw[:7].lower() == "bearer ":
        raw = raw[7:].strip()
    if not raw:
        raw = headers.get("x-api-key", "").strip()
    return raw


def split_key(raw: str) -> tuple[str, str | None]:
    """`sk-KEY[-channel]` -> (KEY, channel text or None)."""
    key = raw.removeprefix("sk-")
    parts = key.split("-")
    return parts[0], (parts[1] if len(parts) > 1 else None)


@lru_cache(maxsize=1024)
def _networks(entries: tuple[str, ...]) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    nets = []
    for entry in entries:
        try:
            nets.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            continue  # a malformed entry allows nobody rather than everybody
    return tuple(nets)


def ip_allowed(ip: str, allow: tuple[str, ...]) -> bool:
    if not allow:
        return True
    try:
        addr = ipaddress.ip_address(ip)
    except ValueError:
        return False
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
        addr = addr.ipv4_mapped
    return any(addr.version == net.version and addr in net for net in _networks(allow))


def check_token(token: TokenInfo | None, now: float | None = None) -> TokenInfo:
    if token is None:
        raise unauthorized("invalid API key")
    if token.status == TokenStatus.EXHAUSTED:
        raise unauthorized("this API key's quota is used up")
    if token.status == TokenStatus.EXPIRED:
        raise unauthorized("this API key has expired")
    if token.status != TokenStatus.ENABLED:
        raise unauthorized("this API key is not enabled")
    if token.expired_time != -1 and token.expired_time < (now if now is not None else time.time()):
        _write_back(token, TokenStatus.EXPIRED)
        raise unauthorized("this API key has expired")
    return token


def _write_back(token: TokenInfo, status: TokenStatus) -> None:
    """Store the expired/exhausted status off the request path; the refusal does not wait for it."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return
    lifecycle.spawn(asyncio.to_thread(tokens.mark_unusable, token.id, token.key, status), "token status write-back")


async def authenticate(headers: Mapping[str, str], ip: str, api_key: str | None = None) -> Caller:
    """401 for a missing/unusable key, 403 for a user, IP, group or pinning refusal, 503 when the
    database had no free connection for a cache miss in time. `api_key`: a key the route found
    elsewhere (Gemini's `?key=` / `x-goog-api-key`); it wins over the headers."""
    try:
        return await _authenticate(headers, ip, api_key)
    except PoolTimeout as exc:
        raise server_busy() from exc


async def _authenticate(headers: Mapping[str, str], ip: str, api_key: str | None) -> Caller:
    raw = api_key or extract_key(headers)
    if not raw:
        raise unauthorized("no API key provided (Authorization: Bearer sk-...)")
    if len(raw) > cache.MAX_KEY_CHARS:  # no real key is this long: refused before any lookup
        raise unauthorized("invalid API key")
    key, pin = split_key(raw)
    if not key:
        raise unauthorized("invalid API key")
    token = check_token(await cache.get_token(key))
    # The cached row's remain_quota is as of its last read; the ledger holds the live balance.
    if not token.unlimited_quota and await ledger.get_ledger().atoken_remain(token.id) <= 0:
        _write_back(token, TokenStatus.EXHAUSTED)
        raise unauthorized("this API key's quota is used up")
    user = await cache.get_user(token.user_id)
    if user is None:
        raise unauthorized("invalid API key")
    if user.status != UserStatus.ENABLED:
        raise forbidden("this user has been disabled", code="user_disabled")
    if not ip_allowed(ip, token.allow_ips):
        raise forbidden(f"this API key may not be used from {ip}", code="ip_not_allowed")
    pinned: int | None = None
    if pin is not None:
        if user.role < Role.ADMIN:
            raise forbidden("only administrators may pin a channel", code="channel_pin_forbidden")
        if not pin.isdigit():
            raise forbidden(f"invalid channel id {clip(pin)!r}", code="channel_pin_invalid")
        pinned = int(pin)
    group = user.group
    if token.group:
        priced = token.group == groups.AUTO or token.group in groups.group_ratios()
        if not groups.is_usable(user.group, token.group) or not priced:
            raise forbidden(f"this API key's group {token.group} is not available to this user", code="group_not_allowed")
        group = token.group
    return Caller(token=token, user=user, group=group, pinned_channel=pinned, ip=ip)


def check_model(caller: Caller, model: str) -> None:
    """403 when the key's model list is on and does not name `model`."""
    token = caller.token
    if token is not None and token.model_limits_enabled and model not in token.model_limits:
        raise forbidden(f"this API key may not use model {clip(model)}", code="model_not_allowed")

