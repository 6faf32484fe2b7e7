"""The per-user model request limit around one relay call (`services/model_ratelimit.py`).

Checked after auth and before pricing, so a refused call reserves and costs nothing; the outcome
(success = a response below 400, a stream once it has started) is recorded when the call ends.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from backend.relay.auth import Caller
from backend.relay.errors import RelayError
from backend.services import model_ratelimit

log = logging.getLogger("newapi.relay.limit")


@dataclass(slots=True)
class Outcome:
    ok: bool = False  # the caller sets it once the response is known to be a success


@asynccontextmanager
async def admitted(caller: Caller) -> AsyncIterator[Outcome]:
    """429 with Retry-After (OpenAI's error shape) when over the limit; else runs the body and
    records whether it succeeded."""
    try:
        verdict = await model_ratelimit.admit(caller.user.id, caller.group)
    except Exception as exc:  # Redis down: refuse rather than run unlimited (new-api does the same)
        log.warning("model rate limit check failed: %s", exc)
        raise RelayError(500, "rate limit check failed", code="rate_limit_check_failed") from exc
    if isinstance(verdict, model_ratelimit.Refusal):
        raise RelayError(429, verdict.message, code="rate_limit_exceeded",
                         headers={"Retry-After": str(verdict.retry_after)})
    outcome = Outcome()
    try:
        yield outcome
    finally:
        if verdict is not None:
            try:
                await verdict.finish(outcome.ok)
            except Exception:  # the call's answer stands; a lost record frees its slot by expiry
                log.warning("recording a model rate limit outcome failed", exc_info=True)
