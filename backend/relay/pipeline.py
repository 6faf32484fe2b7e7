"""One relay call, end to end: auth -> body -> price and reserve -> attempts -> settle or refund.

The money rule: a call is settled or refunded exactly once, whatever happens. Before a stream
starts, `relay` owns the charge and refunds it in `finally` unless an attempt succeeded; once a
stream response is handed to the server, the stream's producer owns it and settles in its own
`finally` (also when the client disconnects), for what was produced.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import time
from collections.abc import Awaitable
from typing import Any

import orjson
from fastapi import Request
from fastapi.responses import Response
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.requests import ClientDisconnect
from starlette.types import Receive, Scope

from backend import client_ip as client_address
from backend.cache import channels
from backend.config import get_settings
from backend.models.enums import Role
from backend.observability import metrics, tracing
from backend.relay import adaptors, auth, distributor, media, model_limit, token_counter
from backend.relay.adaptors.base import (
    Adaptor,
    AdaptorError,
    RelayFormat,
    RelayMeta,
    StreamConverter,
    UpstreamError,
    UpstreamRequest,
)
from backend.relay.body import check_declared, check_model_name, parse_json_object, read_limited
from backend.relay.channel_types import ANTHROPIC_ID
from backend.relay.context import RelayContext, new_request_id, request_id_of
from backend.relay.convert.multipart import Form, parse_form
from backend.relay.convert.responses_openai import counting_view
from backend.relay.disconnect import unless_client_leaves
from backend.relay.distributor import Route
from backend.relay.error_shapes import shape_for
from backend.relay.errors import (
    RelayError,
    bad_request,
    error_response,
    for_caller,
    from_upstream,
    openai_body,
    server_busy,
    transport_failure,
)
from backend.relay.ingress import Ingress
from backend.relay.passthrough import passthrough
from backend.relay.redact import redact_secrets
from backend.relay.streaming import PumpResult, StreamResponse, Write, pump
from backend.relay.upstream import UpstreamResponse, UpstreamTransportError, get_client
from backend.relay.usage import Usage
from backend.services import billing, channel_health, options
from backend.services.errors import ServiceError

log = logging.getLogger("newapi.relay")

ERROR_BODY_CAP = 1 << 20  # an upstream error body is read up to 1 MB: enough for any message
NO_RETRY_STATUS = frozenset({408, 504, 524})
INLINE_COUNT_BYTES = 64 * 1024  # larger bodies are counted in a worker thread
# OpenAI-format calls reserve on an estimate instead of a count: a token is at least ~3 bytes of
# the JSON body (English ~4 characters, CJK 3 bytes a character, plus the JSON around them), so
# this rarely under-sizes, and short prompts fall under PreConsumedQuota's floor anyway. The
# estimate only sizes the reservation: the settle bills the upstream's usage, and when upstream
# reports none the prompt is counted exactly then (`_counted_prompt`). Other formats count up
# front because their converted replies show the prompt count (Claude's message_start).
ESTIMATED_FORMATS = frozenset({RelayFormat.OPENAI_CHAT, RelayFormat.OPENAI_COMPLETIONS, RelayFormat.OPENAI_EMBEDDINGS,
                               RelayFormat.OPENAI_RESPONSES})
BYTES_PER_TOKEN = 3
RESPONSES_POLICY = "global.chat_completions_to_responses_policy"

_background: set[asyncio.Task] = set()


def client_ip(request: Request) -> str:
    """The caller's address for allow-lists and logs: through trusted proxies only (TRUSTED_PROXIES)."""
    return client_address.client_ip(request.scope)


def header_dict(scope: Scope) -> dict[str, str]:
    """All request headers, read once: lower-case names (ASGI's), the first value of a repeated one
    (as Starlette's `Headers.get`)."""
    return {k.decode("latin-1"): v.decode("latin-1") for k, v in reversed(scope["headers"])}


def _spawn(coro: Awaitable[Any]) -> None:
    """Fire and forget, keeping a reference so the task is not collected half-way."""
    task = asyncio.ensure_future(coro)
    _background.add(task)
    task.add_done_callback(_background.discard)
    task.add_done_callback(_log_failure)


# -- entry -------------------------------------------------------------------------------------


async def relay(
    request: Request,
    fmt: RelayFormat,
    *,
    default_model: str = "",
    headers: dict[str, str] | None = None,
    ingress: Ingress | None = None,
    caller: auth.Caller | None = None,
) -> Response:
    """`headers`: the request's `header_dict`, when the caller has it already. `ingress`: what the
    route read outside the body (Gemini's path model, stream flag and key). `caller`: who is
    calling, when the route authenticated them itself (the playground's session); else the API key.
    Errors answer in the client format's own shape (error_shapes)."""
    rid = request_id_of(request.scope) or new_request_id()
    shape = shape_for(fmt)
    started = time.time()
    headers = headers if headers is not None else header_dict(request.scope)
    span = tracing.start_request(fmt.value, headers)
    ctx: RelayContext | None = None
    try:
        ctx = await _prepare(request, fmt, rid, default_model, headers, ingress or _NO_INGRESS, caller)
        ctx.span = span
        async with model_limit.admitted(ctx.caller) as outcome:  # per-user limit, before any price
            response = await _run(ctx, request.receive)
            outcome.ok = response.status_code < 400
    except RelayError as err:
        response = error_response(err, rid, shape)
    except PoolTimeout:
        log.warning("request %s: no database connection free in time", rid)
        response = error_response(server_busy(), rid, shape)
    except Exception:
        log.exception("request %s failed", rid)
        response = error_response(RelayError(500, "internal error", code="internal_error"), rid, shape)
    _observe(fmt, ctx, response, started, span, rid)
    return response


_NO_INGRESS = Ingress()


def _observe(fmt: RelayFormat, ctx: RelayContext | None, response: Response, started: float, span: Any,
             rid: str) -> None:
    """Metrics (and the trace span) of an answered call. The model is named only once a channel was
    routed for it (a bounded set); a stream's duration and span end when it ends (`_stream`)."""
    routed = ctx is not None and bool(ctx.tried)
    model, channel = (ctx.model, ctx.tried[-1]) if routed else ("", None)
    stream = isinstance(response, StreamResponse)
    metrics.request_done(fmt.value, model, channel, response.status_code, None if stream else time.time() - started)
    if span is not None and not stream:
        tracing.end_request(span, status=response.status_code, model=model, channel=channel, request_id=rid)


def _stream_observed(ctx: RelayContext) -> None:
    """A stream's end: its duration, and its span."""
    metrics.stream_ended(ctx.fmt.value, ctx.started_at)
    tracing.end_request(ctx.span, status=200, model=ctx.model, channel=ctx.tried[-1] if ctx.tried else None,
                        request_id=ctx.request_id)


async def _prepare(
    request: Request, fmt: RelayFormat, rid: str, default_model: str, headers: dict[str, str], ingress: Ingress,
    caller: auth.Caller | None = None,
) -> RelayContext:
    scope = request.scope
    if caller is None:
        caller = await auth.authenticate(headers, client_ip(request), ingress.api_key)
    limit = get_settings().max_body_bytes
    check_declared(headers.get("content-length"), limit)
    try:
        raw = await read_limited(request.stream(), limit, headers.get("content-encoding", ""))
    except ClientDisconnect as exc:
        raise bad_request("the client closed the connection while sending the body") from exc
    content_type = headers.get("content-type", "")
    body, form = _parse_body(fmt, raw, content_type)
    model = ingress.model or body.get("model")
    if model is None or model == "":
        model = default_model or media.DEFAULT_MODELS.get(fmt, "")
    if not isinstance(model, str) or not model:
        raise bad_request("model is required" if not model else "model must be a string")
    check_model_name(model)  # before any lookup, log row or message can carry it
    body["model"] = model  # a route default (e.g. the engine path) is part of the request too
    auth.check_model(caller, model)
    media.check(fmt, model, body, form)
    stream = ingress.stream if ingress.stream is not None else body.get("stream") is True
    stream_options = body.get("stream_options")
    include_usage = stream and isinstance(stream_options, dict) and stream_options.get("include_usage") is True
    return RelayContext(
        request_id=rid,
        fmt=fmt,
        path=scope["path"],
        caller=caller,
        model=model,
        body=body,
        raw=raw,
        stream=stream,
        include_usage=include_usage,
        query=dict(request.query_params) if scope.get("query_string") else {},
        headers=headers,
        form=form,
        content_type=content_type,
    )


def _parse_body(fmt: RelayFormat, raw: bytes, content_type: str) -> tuple[dict[str, Any], Form | None]:
    """A JSON object, or for the multipart formats the form (its text fields as the body)."""
    if fmt in media.MULTIPART_FORMATS and content_type.lower().startswith("multipart/form-data"):
        form = parse_form(raw, content_type)
        if form is None:
            raise bad_request("invalid multipart/form-data body", code="invalid_request")
        return dict(form.fields), form
    if fmt in media.MULTIPART_FORMATS and fmt != RelayFormat.OPENAI_IMAGE_EDITS:
        raise media.refuse_non_multipart(fmt)
    return parse_json_object(raw), None


def _service_error(err: ServiceError) -> RelayError:
    """Pricing (500: no price for the model) and quota refusals (403) from billing."""
    code = getattr(err, "code", None) or ("model_price_error" if err.status == 500 else "pre_consume_failed")
    return RelayError(err.status, err.message, code=code)


def _max_tokens(body: dict[str, Any]) -> int | None:
    values = [v for k in ("max_tokens", "max_completion_tokens", "max_output_tokens")
              if isinstance(v := body.get(k), int) and v > 0]
    return max(values) if values else None


def _prompt_tokens(ctx: RelayContext, body: dict[str, Any]) -> int:
    """The local prompt count: it bills a call upstream left uncounted (and sizes some reservations)."""
    counted = media.prompt_tokens(ctx.fmt, ctx.model, body, ctx.form)
    if counted is not None:
        return counted
    if ctx.fmt == RelayFormat.OPENAI_CHAT:
        return token_counter.count_chat_request(ctx.model, body)
    if ctx.fmt == RelayFormat.OPENAI_COMPLETIONS:
        return token_counter.count_prompt_input(ctx.model, body.get("prompt"))
    if ctx.fmt == RelayFormat.OPENAI_EMBEDDINGS:
        return token_counter.count_prompt_input(ctx.model, body.get("input"))
    if ctx.fmt == RelayFormat.CLAUDE_MESSAGES:
        return token_counter.count_claude_request(ctx.model, body)
    if ctx.fmt == RelayFormat.GEMINI:
        return token_counter.count_gemini_request(ctx.model, body)
    if ctx.fmt == RelayFormat.GEMINI_EMBEDDINGS:
        return token_counter.count_gemini_embed_input(ctx.model, body)
    if ctx.fmt == RelayFormat.OPENAI_RESPONSES:
        return token_counter.count_chat_request(ctx.model, counting_view(body))
    return 0


def _counted_prompt(ctx: RelayContext, body: dict[str, Any] | None = None) -> int:
    """The exact prompt count, made once, on first need. Without `body`, from the body as received
    (adaptors may have edited `ctx.body` since)."""
    if not ctx.prompt_counted:
        pristine = body if body is not None else {**orjson.loads(ctx.raw), "model": ctx.model}
        ctx.prompt_tokens, ctx.prompt_counted = _prompt_tokens(ctx, pristine), True
    return ctx.prompt_tokens


async def _count_prompt_off_loop(ctx: RelayContext, body: dict[str, Any] | None = None) -> None:
    """Count now, in a worker thread if the body is large: tokenising megabytes inline would stall
    every other request on this worker."""
    if not ctx.prompt_counted:
        if len(ctx.raw) > INLINE_COUNT_BYTES:
            await asyncio.to_thread(_counted_prompt, ctx, body)
        else:
            _counted_prompt(ctx, body)


def _prompt_estimate(ctx: RelayContext) -> int:
    if not token_counter.counting_enabled():
        return 0  # what a count gives then
    return -(-len(ctx.raw) // BYTES_PER_TOKEN)


async def _run(ctx: RelayContext, receive: Receive) -> Response:
    caller = ctx.caller
    group = distributor.resolve_group(caller.group, caller.user.group, ctx.model)
    if group != caller.group:  # `auto`: the call runs, and is billed, in the group it landed in
        caller = ctx.caller = dataclasses.replace(caller, group=group)
    try:
        pricing = media.priced(ctx.fmt, ctx.model, ctx.body, billing.pricing_for(ctx.model, caller.group, caller.user))
        if ctx.fmt in ESTIMATED_FORMATS:
            ctx.prompt_tokens = _prompt_estimate(ctx)
        else:
            await _count_prompt_off_loop(ctx, ctx.body)
        amount = billing.estimate_pre_consume(pricing, ctx.prompt_tokens, _max_tokens(ctx.body))
        reserved = await billing.pre_consume(caller.user, caller.token, amount)
    except ServiceError as err:
        raise _service_error(err) from err
    charge = billing.Charge(
        user=caller.user,
        token=caller.token,
        model=ctx.model,
        group=caller.group,
        pricing=pricing,
        reserved=reserved,
        is_stream=ctx.stream,
        started_at=ctx.started_at,
        request_id=ctx.request_id,
        ip=caller.ip,
        content_note=media.log_note(ctx.fmt, ctx.model, ctx.body),
    )
    handed_off = False
    error: RelayError | None = None
    try:
        response = await unless_client_leaves(_attempts(ctx, charge), receive, ctx.request_id)
        handed_off = isinstance(response, StreamResponse)
        return response
    except RelayError as err:
        error = err
        raise
    finally:
        if not handed_off and charge.state == "open":
            if error is not None and error.detail is not None:
                _admin_info(ctx, charge)["upstream_error"] = error.detail  # the user's log view drops admin_info
            with tracing.child(ctx.span, "refund"):
                await _shielded(billing.refund(charge, error=error.message if error else "relay aborted",
                                               status_code=error.status if error else 0))


async def _shielded(coro: Awaitable[Any]) -> None:
    """Run money bookkeeping to the end even if our task is being cancelled."""
    task = asyncio.ensure_future(coro)
    _background.add(task)
    task.add_done_callback(_background.discard)
    task.add_done_callback(_log_failure)
    try:
        await asyncio.shield(task)
    except asyncio.CancelledError:
        raise  # we are cancelled; the bookkeeping task goes on (referenced in _background)
    except Exception:
        pass  # logged by _log_failure, whoever is still waiting


def _log_failure(task: asyncio.Future) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("relay background task failed", exc_info=task.exception())


# -- attempts, retries, channel health ---------------------------------------------------------


def should_retry(err: RelayError, channel_type: int, pinned: bool) -> bool:
    """new-api's rules: never for local errors or a pinned channel; not for 2xx, 408, 504, 524,
    nor 400 (except on Anthropic channels); yes for 429, other 4xx, 5xx and 3xx."""
    if err.local or pinned:
        return False
    if 200 <= err.status < 300 or err.status in NO_RETRY_STATUS:
        return False
    if err.status == 400:
        return channel_type == ANTHROPIC_ID
    return True


def map_status(err: RelayError, mapping: dict[str, Any]) -> RelayError:
    """status_code_mapping (`{"429": "503"}`) rewrites the upstream status before any decision."""
    target = mapping.get(str(err.status)) if mapping else None
    try:
        code = int(str(target).strip()) if target is not None else 0
    except ValueError:
        code = 0
    return err.with_status(code) if 100 <= code <= 599 and code != err.status else err


def _check_health(route: Route, err: RelayError) -> None:
    if err.local:
        return
    error_obj = err.error_object()
    if channel_health.should_disable(err.status, error_obj, route.channel):
        reason = redact_secrets(f"status {err.status}: {err.message}", (route.key,))[:500]
        _spawn(channel_health.auto_disable(route.channel.id, reason, route.key))  # multi-key: only this key


async def _attempts(ctx: RelayContext, charge: billing.Charge) -> Response:
    pinned = ctx.caller.pinned_channel
    retries = 0 if pinned is not None else max(options.get_int("RetryTimes"), 0)
    failed: set[int] = set()
    last: RelayError | None = None
    for attempt in range(retries + 1):
        try:
            route = distributor.route(ctx.caller.group, ctx.model, attempt, frozenset(failed), pinned)
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
                channels.cool_down(route.channel.id, options.get_float("ChannelCooldownSeconds"))
            if attempt >= retries or not should_retry(err, route.channel.type, pinned is not None):
                raise _shown(ctx, route.key, err) from None
            metrics.retried(route.channel.id)
            failed.add(route.channel.id)
            last = err
            log.info("request %s: channel #%s failed with %s, retrying", ctx.request_id, route.channel.id, err.status)
    raise AssertionError("unreachable: the last attempt returns or raises")


def _shown(ctx: RelayContext, key: str, err: RelayError) -> RelayError:
    """The final failure as this caller may see it (errors.for_caller)."""
    return for_caller(err, secrets=(key,), admin=ctx.caller.user.role >= Role.ADMIN)


def _admin_info(ctx: RelayContext, charge: billing.Charge) -> dict[str, Any]:
    info = charge.other.setdefault("admin_info", {})
    info.setdefault("use_channel", [str(c) for c in ctx.tried])
    return info


def _meta(ctx: RelayContext, route: Route) -> RelayMeta:
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
    )


async def _read_capped(resp: UpstreamResponse, cap: int) -> bytes:
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
        adaptor = adaptors.get_adaptor(route.channel, route.key, _meta(ctx, route))
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
        resp = await _send(ctx, route, request)
        if up is not None:
            up.set_attribute("http.response.status_code", resp.status_code)
    if resp.status_code != 200:
        try:
            raw = await _read_capped(resp, ERROR_BODY_CAP)
        finally:
            await resp.aclose()
        raise from_upstream(adaptor.parse_error(resp.status_code, raw))

    charge.channel_id = route.channel.id
    charge.other.update(_log_other(ctx, route, adaptor))
    content_type = resp.headers.get("content-type", "")
    if ctx.fmt == RelayFormat.OPENAI_AUDIO_SPEECH and "text/event-stream" not in content_type.lower():
        return passthrough(ctx, charge, resp, content_type, _shielded)
    if ctx.stream or ("text/event-stream" in content_type.lower() and not adaptor.buffers_stream):
        charge.is_stream = True
        try:
            return _stream(ctx, charge, adaptor, resp)
        except BaseException:
            await resp.aclose()
            raise
    return await _whole(ctx, charge, adaptor, resp, content_type)


async def _send(ctx: RelayContext, route: Route, request: UpstreamRequest) -> UpstreamResponse:
    sent = time.perf_counter()
    try:
        resp = await get_client().send(request)
    except UpstreamTransportError as exc:
        log.warning("request %s: channel #%s unreachable: %s", ctx.request_id, route.channel.id, exc)
        raise transport_failure() from exc
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


def _local_usage(ctx: RelayContext, text: str, tool_call_tokens: int = 0) -> Usage:
    """What upstream did not report: the counted prompt and the counted reply."""
    completion = token_counter.count_completion(ctx.model, content=text)
    if token_counter.counting_enabled():
        completion += tool_call_tokens
    return Usage(prompt_tokens=_counted_prompt(ctx), completion_tokens=completion)


async def _whole(
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
            await _count_prompt_off_loop(ctx)
        usage = out.usage if out.usage is not None else _local_usage(ctx, out.completion_text)
    with tracing.child(ctx.span, "settle"):
        await _shielded(billing.settle(charge, usage))
    return Response(out.body, status_code=200, media_type=out.content_type)


# -- streams -----------------------------------------------------------------------------------


def _stream(ctx: RelayContext, charge: billing.Charge, adaptor: Adaptor, resp: UpstreamResponse) -> StreamResponse:
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
        await _settle_stream(ctx, charge, conv, result, adaptor.key)

    async def produce(write: Write) -> None:
        metrics.stream_started()
        try:
            await pump(resp, conv, write, idle_timeout=timeout, result=result)
            failure = _stream_failure(conv, result)
            if conv.usage is None:
                await _count_prompt_off_loop(ctx)
            usage = _stream_usage(ctx, conv)
            if not result.ended:  # the upstream is still going: stop it now
                await release()
            # Settle before the closing frames: a client that has seen [DONE] sees its bill too.
            await _shielded(_settle_stream(ctx, charge, conv, result, adaptor.key))
            if failure is not None:
                # A failed stream ends with the error and without the closing frames ([DONE],
                # message_stop...): a client must not take a cut-short reply for a whole one.
                shown = _shown(ctx, adaptor.key, failure)
                await write(conv.error_frame(openai_body(shown, ctx.request_id)["error"], shown.status))
                return
            for frame in conv.finish(usage):
                await write(frame)
        finally:
            await _shielded(close())
            _stream_observed(ctx)

    async def abandon() -> None:
        metrics.stream_started()  # counted as a stream that ended at once
        await _shielded(close())
        _stream_observed(ctx)

    return StreamResponse(produce, abandon=abandon)


def _stream_failure(conv: StreamConverter, result: PumpResult) -> RelayError | None:
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


def _stream_usage(ctx: RelayContext, conv: StreamConverter) -> Usage:
    if conv.usage is not None:
        return conv.usage
    return _local_usage(ctx, conv.completion_text, conv.tool_call_tokens)


async def _settle_stream(
    ctx: RelayContext, charge: billing.Charge, conv: StreamConverter, result: PumpResult, key: str
) -> None:
    """Settle for what was produced; a stream that failed before producing anything is refunded,
    like any failed call. Safe to call twice: the charge is settled or refunded once."""
    if result.first_frame_at is not None:
        charge.other["frt"] = int((result.first_frame_at - ctx.started_at) * 1000)
    if charge.state != "open":
        return  # settled already (the producer settles before its closing frames; `close` calls again)
    failure = _stream_failure(conv, result)
    if conv.usage is None and failure is not None and not conv.completion_text:
        shown = for_caller(failure, secrets=(key,), admin=False)  # the log's content is the user's view
        if shown.detail is not None:
            _admin_info(ctx, charge)["upstream_error"] = shown.detail
        with tracing.child(ctx.span, "refund"):
            await billing.refund(charge, error=shown.message, status_code=failure.status)
        return
    with tracing.child(ctx.span, "settle"):
        await billing.settle(charge, _stream_usage(ctx, conv))
