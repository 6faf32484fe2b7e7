"""Rate-limit dependencies: the global limit on every /api route, the critical one on auth routes."""

from __future__ import annotations

from fastapi import Request

from backend.client_ip import client_ip
from backend.config import get_settings
from backend.services import ratelimit
from backend.services.errors import ServiceError, msg


def _ip(request: Request) -> str:
    """The caller (through trusted proxies only, see backend/client_ip.py); one bucket per address."""
    return client_ip(request.scope) or "unknown"


def global_api_limit(request: Request) -> None:
    s = get_settings()
    if s.GLOBAL_API_RATE_LIMIT_ENABLE and not ratelimit.allow(
        "GA", _ip(request), s.GLOBAL_API_RATE_LIMIT, s.GLOBAL_API_RATE_LIMIT_DURATION
    ):
        raise ServiceError(msg("too many requests, please try again later"), 429)


def critical_limit(request: Request) -> None:
    s = get_settings()
    if s.CRITICAL_RATE_LIMIT_ENABLE and not ratelimit.allow(
        "CT", _ip(request), s.CRITICAL_RATE_LIMIT, s.CRITICAL_RATE_LIMIT_DURATION
    ):
        raise ServiceError(msg("too many requests, please try again later"), 429)
