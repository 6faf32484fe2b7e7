"""The Turnstile dependency for the routes new-api guards with `TurnstileCheck()`."""

from __future__ import annotations

from fastapi import Request

from backend.client_ip import client_ip
from backend.services import turnstile


async def turnstile_check(request: Request) -> None:
    await turnstile.check(request.query_params.get("turnstile", ""), client_ip(request.scope) or "")
