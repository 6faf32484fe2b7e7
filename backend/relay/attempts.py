"""The attempts of one call: route to a channel, send, and on failure retry elsewhere or answer.

Each attempt converts a pristine copy of the body for the channel it was routed to, records the
channel's health (auto-disable, cooldown) when it fails, and hands a successful answer to
`replies`. The retry and status rules are `retry_rules`, shared with channel tests.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import time
from typing import Any

import orjson
from fastapi.responses import Response

from backend import lifecycle
from backend.cache import channel_state
from backend.observability import metrics, tracing
from backend.relay import adaptors, distributor, media, replies, token_counter
from backend.relay.adaptors.base import (
    Adaptor,
    AdaptorError,
    RelayFormat,
    RelayMeta,
    UpstreamError,
    UpstreamRequest,
)
from backend.relay.context import RelayContext
from backend.relay.distributor import Route
from backend.relay.errors import RelayError, from_upstream, transport_failure
from backend.relay.passthrough import passthrough
from backend.relay.redact import redact_secrets
from backend.relay.retry_rules import map_status, should_retry
from backend.relay.upstream import UpstreamResponse, UpstreamTransportError, get_client
from backend.services import billing, channel_health, options
from backend.services.errors import ServiceError

log = logging.getLogger("newapi.relay")

ERROR_BODY_CAP = 1 << 20  # an upstream error body is read up to 1 MB: enough for any message
RESPONSES_POLICY = "global.chat_completions_to_responses_policy"


async def attempts(ctx: RelayContext, charge: billing.Charge) -> Response:
    """Up to RetryTimes + 1 attempts, each on a channel not failed yet in this call."""
    pinned = ctx.caller.pinned_channel
    retries = 0 if pinned is not None else max(options.get_int("RetryTimes"), 0)
    failed: set[int] = set()
    last: RelayError | None = None
    entered = 0  # the attempt that entered the current group: its tiers are walked from the top
    for attempt in range(retries + 1):
        if attempt and ctx.auto_next and distributor.exhausted(ctx.caller.group, ctx.model, failed):
            entered = attempt if _next_auto_group(ctx, charge) else entered
        try:
            route = await distributor.route(ctx.caller.group, ctx.model, attempt - entered, frozenset(failed), pinned)
        except RelayError:
            if last is not None:  # the channels vanished mid-call (reload): report the real failure
                raise last from None
            raise
        ctx.tried.append(route.channel.id)
        try:
            return await _attempt(ctx, charge, route, attempt)
        except RelayError as err:
            if err.local:
                raise
            err = map_status(err, route.channel.status_code_mapping)
            metrics.upstream_failed(route.channel.id, err.status)
            _check_health(route, err)
            if err.status == 429 or err.status >= 500:  # may pass: rest it (ChannelCooldownSeconds)
                await channel_state.cool_down(route.channel.id, options.get_float("ChannelCooldownSeconds"))
            if attempt >= retries or not should_retry(err, route.channel.type, pinned is not None):
                raise replies.shown(ctx, route.key, err) from None
            metrics.retried(route.channel.id)
            failed.add(route.channel.id)
            last = err
            log.info("request %s: channel #%s failed with %s, retrying", ctx.request_id, route.channel.id, err.status)
    raise AssertionError("unreachable: the last attempt returns or raises")


def _next_auto_group(ctx: RelayContext, charge: billing.Charge) -> bool:
    """An `auto` call whose group has no channel left untried moves to the next AutoGroup with a
    price for the model (new-api's cross-group retry), and is billed in it."""
    while ctx.auto_next:
        group, ctx.auto_next = ctx.auto_next[0], ctx.auto_next[1:]
        try:
            pricing = media.priced(ctx.fmt, ctx.model, ctx.body, billing.pricing_for(ctx.model, group, charge.user))
        except ServiceError:
            continue
        log.info("request %s: the channels of group %s are exhausted, moving to %s", ctx.request_id,
                 ctx.caller.group, group)
        charge.group, charge.pricing = group, pricing
        ctx.caller = dataclasses.replace(ctx.caller, group=group)
        return True
    return False


def _check_health(route: Route, err: RelayError) -> None:
    if err.local:
        return
    if channel_health.should_disable(err.status, err.error_object(), route.channel):
        reason = redact_secrets(f"status {err.status}: {err.message}", (route.key,))[:500]
        # multi-key: only this key
        lifecycle.spawn(channel_health.auto_disable(route.channel.id, reason, route.key), "auto-disabling a channel")


def meta_for(ctx: RelayContext, route: Route) -> RelayMeta:
    return RelayMeta(
        fmt=ctx.fmt,
        origin_model=ctx.model,
        upstream_model=route.upstream_model,
        stream=ctx.stream,
        path=ctx.path,
        query=ctx.query,
        client_headers=ctx.headers,
        include_usage=ctx.include_usage,
        prompt_tokens=ctx.prompt_tokens,
        count_tokens=lambda text: token_counter.count_completion(ctx.model, content=text),
        responses_policy=options.get_json(RESPONSES_POLICY) if ctx.fmt == RelayFormat.OPENAI_CHAT else None,
        options=options,
    )


async def read_capped(resp: UpstreamResponse, cap: int = ERROR_BODY_CAP) -> bytes:
    """An error body, up to `cap` bytes: enough for any message, bounded for any upstream."""
    buf = bytearray()
    with contextlib.suppress(UpstreamTransportError):
        async for chunk in resp.aiter_bytes():
            buf += chunk[: cap - len(buf)]
            if len(buf) >= cap:
                break
    return bytes(buf)


async def _attempt(ctx: RelayContext, charge: billing.Charge, route: Route, attempt: int) -> Response:
    # Each attempt converts a pristine body: adaptors may edit what they are given.
    if ctx.form is not None:
        body = ctx.body  # the form goes upstream as received (model mapped): adaptors never edit it
    else:
        body = ctx.body if attempt == 0 else {**orjson.loads(ctx.raw), "model": ctx.model}
    try:
        adaptor = adaptors.get_adaptor(route.channel, route.key, meta_for(ctx, route))
        await adaptor.prepare(get_client())  # e.g. Vertex AI's access token
        if ctx.form is not None:
            request = adaptor.build_raw_request(ctx.raw, ctx.content_type)
        else:
            request = adaptor.build_request(body)
    except AdaptorError as err:
        raise RelayError(err.status_code, err.message, code=err.code) from err
    except UpstreamError as err:  # from prepare
        raise from_upstream(err) from err
    except UpstreamTransportError as exc:  # from prepare
        log.warning("request %s: channel #%s unreachable: %s", ctx.request_id, route.channel.id, exc)
        raise transport_failure() from exc
    with tracing.child(ctx.span, "upstream", **{"newapi.channel_id": route.channel.id}) as up:
        if up is not None:
            tracing.inject(request.headers)  # W3C traceparent: the upstream's spans join this trace
        resp = await _send(ctx, route, adaptor, request)
        if up is not None:
            up.set_attribute("http.response.status_code", resp.status_code)
    if resp.status_code != 200:
        try:
            raw = await read_capped(resp)
        finally:
            await resp.aclose()
        raise from_upstream(adaptor.parse_error(resp.status_code, raw))

    charge.channel_id = route.channel.id
    charge.other.update(_log_other(ctx, route, adaptor))
    content_type = resp.headers.get("content-type", "")
    if ctx.fmt == RelayFormat.OPENAI_AUDIO_SPEECH and "text/event-stream" not in content_type.lower():
        return passthrough(ctx, charge, resp, content_type, lifecycle.shielded)
    if ctx.stream or ("text/event-stream" in content_type.lower() and not adaptor.buffers_stream):
        charge.is_stream = True
        try:
            return replies.stream(ctx, charge, adaptor, resp)
        except BaseException:
            await resp.aclose()
            raise
    return await replies.whole(ctx, charge, adaptor, resp, content_type)


async def _send(ctx: RelayContext, route: Route, adaptor: Adaptor, request: UpstreamRequest) -> UpstreamResponse:
    sent = time.perf_counter()
    try:
        resp = await adaptor.send(get_client(), request)
    except UpstreamTransportError as exc:
        log.warning("request %s: channel #%s unreachable: %s", ctx.request_id, route.channel.id, exc)
        raise transport_failure() from exc
    except UpstreamError as err:  # a kind that sends more than one request (a polled job) and saw it fail
        raise from_upstream(err) from err
    metrics.upstream_answered(route.channel.id, time.perf_counter() - sent)
    return resp


def _log_other(ctx: RelayContext, route: Route, adaptor: Adaptor) -> dict[str, Any]:
    other: dict[str, Any] = {"admin_info": {"use_channel": [str(c) for c in ctx.tried]}}
    if route.upstream_model != ctx.model:
        other["is_model_mapped"] = True
        other["upstream_model_name"] = route.upstream_model
    if adaptor.reasoning_effort:
        other["reasoning_effort"] = adaptor.reasoning_effort
    return other
