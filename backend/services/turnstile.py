"""Cloudflare Turnstile, as new-api's `middleware/turnstile-check.go`: when the option
TurnstileCheckEnabled is on, the guarded routes need `?turnstile=<token>`, which is checked with
siteverify (TURNSTILE_VERIFY_URL) along with TurnstileSecretKey and the caller's address.

A missing token, a refusal, or a siteverify that cannot be reached or answers nonsense all refuse
the request (fail closed); nothing of siteverify's reply or of the secret is echoed.
"""

from __future__ import annotations

import logging

import httpx

from backend.config import get_settings
from backend.services import options
from backend.services.errors import ServiceError, msg

log = logging.getLogger(__name__)

TIMEOUT_SECONDS = 5.0
MAX_TOKEN_LEN = 2048  # Cloudflare's tokens are at most 2048 characters


def enabled() -> bool:
    return options.get_bool("TurnstileCheckEnabled")


async def check(token: str, remote_ip: str = "") -> None:
    """Raise unless Turnstile is off or siteverify accepts the token."""
    if not enabled():
        return
    token = (token or "").strip()
    if not token:
        raise ServiceError(msg("the Turnstile token is empty"), 403)
    if len(token) > MAX_TOKEN_LEN:
        raise ServiceError(msg("Turnstile check failed, please refresh and try again"), 403)
    form = {"secret": options.get("TurnstileSecretKey"), "response": token}
    if remote_ip:
        form["remoteip"] = remote_ip
    try:
        async with httpx.AsyncClient(timeout=TIMEOUT_SECONDS, trust_env=False) as client:
            reply = await client.post(get_settings().TURNSTILE_VERIFY_URL, data=form)
        body = reply.json()
    except (httpx.HTTPError, ValueError) as exc:
        log.warning("Turnstile siteverify unavailable: %s", type(exc).__name__)
        raise ServiceError(msg("Turnstile verification is unavailable, please try again later"), 503) from exc
    if not isinstance(body, dict) or body.get("success") is not True:
        raise ServiceError(msg("Turnstile check failed, please refresh and try again"), 403)
