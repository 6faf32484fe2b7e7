"""An upstream's successful answer turned into the client's reply, and the call settled for it.

A whole reply is read, converted and settled before it is returned. A stream is handed to the
server as a `StreamResponse` whose producer owns the charge from then on: it settles in its own
`finally` (also when the client disconnects), for what was produced, and refunds a stream that
failed before producing anything.
"""

from __future__ import annotations

import contextlib
import time
from typing import Any

from fastapi.responses import Response

from backend import lifecycle
from backend.config import get_settings
from backend.models.enums import Role
from backend.models.usage import Usage
from backend.observability import metrics, tracing
from backend.relay import media
from backend.relay.adaptors.base import Adaptor, StreamConverter, UpstreamError
from backend.relay.context import RelayContext
from backend.relay.errors import RelayError, for_caller, from_upstream, openai_body, transport_failure
from backend.relay.prompt_count import count_prompt_off_loop, local_usage
from backend.relay.streaming import PumpResult, StreamResponse, Write, pump
from backend.relay.upstream import UpstreamResponse, UpstreamTransportError
from backend.services import billing


def shown(ctx: RelayContext, key: str, err: RelayError) -> RelayError:
    """The final failure as this caller may see it (errors.for_caller)."""
    return for_caller(err, secrets=(key,), admin=ctx.caller.user.role >= Role.ADMIN)


def admin_info(ctx: RelayContext, charge: billing.Charge) -> dict[str, Any]:
    """The log's admin-only details (the user's log view drops them)."""
    info = charge.other.setdefault("admin_info", {})
    info.setdefault("use_channel", [str(c) for c in ctx.tried])
    return info


async def whole(
    ctx: RelayContext, charge: billing.Charge, adaptor: Adaptor, resp: UpstreamResponse, content_type: str
) -> Response:
    try:
        raw = await resp.aread()
    except UpstreamTransportError as exc:
        raise transport_failure() from exc
    finally:
        await resp.aclose()
    charge.other["frt"] = int((time.time() - ctx.started_at) * 1000)
    try:
        out = adaptor.parse_response(raw, content_type)
    except UpstreamError as err:
        raise from_upstream(err) from err
    usage = media.final_usage(ctx.fmt, ctx.body, out.usage, ctx.prompt_tokens)
    if usage is None:
        if out.usage is None:
            await count_prompt_off_loop(ctx)
        usage = out.usage if out.usage is not None else local_usage(ctx, out.completion_text)
    with tracing.child(ctx.span, "settle"):
        await lifecycle.shielded(billing.settle(charge, usage), "settling a call")
    return Response(out.body, status_code=200, media_type=out.content_type)


def stream_observed(ctx: RelayContext) -> None:
    """A stream's end: its duration, and its span."""
    metrics.stream_ended(ctx.fmt.value, ctx.started_at)
    tracing.end_request(ctx.span, status=200, model=ctx.model, channel=ctx.tried[-1] if ctx.tried else None,
                        request_id=ctx.request_id)


def stream(ctx: RelayContext, charge: billing.Charge, adaptor: Adaptor, resp: UpstreamResponse) -> StreamResponse:
    conv = adaptor.stream_converter()
    result = PumpResult()
    timeout = get_settings().STREAMING_TIMEOUT
    released = False

    async def release() -> None:
        """Once: a stream read to its end keeps its connection (after a brief drain), any other
        is closed, which cancels the upstream."""
        nonlocal released
        if not released:
            released = True
            with contextlib.suppress(Exception):
                await (resp.finish() if result.ended else resp.aclose())

    async def close() -> None:
        await release()
        await settle_stream(ctx, charge, conv, result, adaptor.key)

    async def produce(write: Write) -> None:
        metrics.stream_started()
        try:
            await pump(resp, conv, write, idle_timeout=timeout, result=result)
            failure = stream_failure(conv, result)
            if conv.usage is None:
                await count_prompt_off_loop(ctx)
            usage = stream_usage(ctx, conv)
            if not result.ended:  # the upstream is still going: stop it now
                await release()
            # Settle before the closing frames: a client that has seen [DONE] sees its bill too.
            await lifecycle.shielded(settle_stream(ctx, charge, conv, result, adaptor.key), "settling a stream")
            if failure is not None:
                # A failed stream ends with the error and without the closing frames ([DONE],
                # message_stop...): a client must not take a cut-short reply for a whole one.
                final = shown(ctx, adaptor.key, failure)
                await write(conv.error_frame(openai_body(final, ctx.request_id)["error"], final.status))
                return
            for frame in conv.finish(usage):
                await write(frame)
        finally:
            await lifecycle.shielded(close(), "closing a stream")
            stream_observed(ctx)

    async def abandon() -> None:
        metrics.stream_started()  # counted as a stream that ended at once
        await lifecycle.shielded(close(), "closing a stream")
        stream_observed(ctx)

    return StreamResponse(produce, abandon=abandon)


def stream_failure(conv: StreamConverter, result: PumpResult) -> RelayError | None:
    """Why the upstream's stream failed, if it did. A stream the client abandoned is no failure
    (the pump never finished); one whose upstream ended without its terminal marker is."""
    if conv.error is not None:
        return from_upstream(conv.error)
    if result.failure is not None:
        return RelayError(502, result.failure, code="stream_interrupted", local=False)
    if result.timed_out:
        return RelayError(504, "the upstream stream went idle for too long", code="stream_timeout", local=False)
    if result.finished and not result.complete:
        return RelayError(502, "the upstream ended the stream before it was complete", code="stream_interrupted",
                          local=False)
    return None


def stream_usage(ctx: RelayContext, conv: StreamConverter) -> Usage:
    if conv.usage is not None:
        return conv.usage
    return local_usage(ctx, conv.completion_text, conv.tool_call_tokens)


async def settle_stream(
    ctx: RelayContext, charge: billing.Charge, conv: StreamConverter, result: PumpResult, key: str
) -> None:
    """Settle for what was produced; a stream that failed before producing anything is refunded,
    like any failed call. Safe to call twice: the charge is settled or refunded once."""
    if result.first_frame_at is not None:
        charge.other["frt"] = int((result.first_frame_at - ctx.started_at) * 1000)
    if charge.state != "open":
        return  # settled already (the producer settles before its closing frames; `close` calls again)
    failure = stream_failure(conv, result)
    if conv.usage is None and failure is not None and not conv.completion_text:
        final = for_caller(failure, secrets=(key,), admin=False)  # the log's content is the user's view
        if final.detail is not None:
            admin_info(ctx, charge)["upstream_error"] = final.detail
        with tracing.child(ctx.span, "refund"):
            await billing.refund(charge, error=final.message, status_code=failure.status)
        return
    with tracing.child(ctx.span, "settle"):
        await billing.settle(charge, stream_usage(ctx, conv))
