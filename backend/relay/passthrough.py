"""A whole upstream body relayed to the client as it arrives, bytes unchanged (speech audio).

The body is streamed through with the upstream's Content-Type, and kept aside (up to
KEEP_BYTES) to measure: speech bills the input's characters and the audio's length (`media.
speech_usage`). The call is settled once the body ends, or refunded when not one byte reached the
client.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from backend.config import get_settings
from backend.relay import media
from backend.relay.context import RelayContext
from backend.relay.streaming import StreamResponse, Write
from backend.relay.upstream import UpstreamResponse, UpstreamTransportError
from backend.services import billing

log = logging.getLogger("newapi.relay")

Shield = Callable[[Awaitable[Any]], Awaitable[None]]
KEEP_BYTES = 64 << 20  # an hour of 128 kbit/s mp3; a longer reply is charged by its size


def passthrough(ctx: RelayContext, charge: billing.Charge, resp: UpstreamResponse, content_type: str,
                shield: Shield) -> StreamResponse:
    """`shield` runs the bookkeeping to its end even if the task is cancelled (pipeline._shielded)."""
    sent = 0
    kept = bytearray()
    timeout = get_settings().STREAMING_TIMEOUT

    async def close() -> None:
        with contextlib.suppress(Exception):
            await resp.aclose()
        if sent:
            audio = bytes(kept) if len(kept) == sent else None
            await billing.settle(charge, media.speech_usage(ctx.body, ctx.prompt_tokens, audio, sent))
        else:
            await billing.refund(charge, error="the upstream sent no audio", status_code=502)

    async def produce(write: Write) -> None:
        nonlocal sent
        try:
            chunks = resp.aiter_bytes()
            while True:
                try:
                    chunk = await _next(chunks, timeout)
                except StopAsyncIteration:
                    break
                if not chunk:
                    continue
                if not sent:
                    charge.other["frt"] = int((time.time() - ctx.started_at) * 1000)
                await write(chunk)
                if len(kept) == sent and sent + len(chunk) <= KEEP_BYTES:
                    kept.extend(chunk)
                sent += len(chunk)
        except (UpstreamTransportError, TimeoutError) as exc:
            log.warning("request %s: upstream body cut short: %s", ctx.request_id, exc)
        finally:
            await shield(close())

    async def abandon() -> None:
        await shield(close())

    return StreamResponse(produce, abandon=abandon, headers={"Content-Type": content_type or "audio/mpeg"})


async def _next(chunks: Any, timeout: float) -> bytes:
    """The next chunk, or TimeoutError after `timeout` idle seconds (STREAMING_TIMEOUT; 0 = none)."""

    if timeout and timeout > 0:
        return await asyncio.wait_for(chunks.__anext__(), timeout)
    return await chunks.__anext__()
