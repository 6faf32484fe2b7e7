"""One relay call, end to end: auth -> body -> price and reserve -> attempts -> settle or refund.

The rooms a call walks through, each once: `prepare` (key, body, model), `_run` (price and
reserve), `attempts` (route, convert, send, retry), `replies` (convert back, settle) and the log
written by billing. The money rule: a call is settled or refunded exactly once, whatever happens.
Before a stream starts, `relay` owns the charge and refunds it in `finally` unless an attempt
succeeded; once a stream response is handed to the server, the stream's producer owns it
(`replies.stream`).
"""

from __future__ import annotations

import dataclasses
import logging
import time
from typing import Any

from fastapi import Request
from fastapi.responses import Response
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.requests import ClientDisconnect
from starlette.types import Receive, Scope

from backend import client_ip as client_address
from backend import lifecycle
from backend.config import get_settings
from backend.observability import metrics, tracing
from backend.relay import auth, distributor, media, model_limit, prompt_count
from backend.relay.adaptors.base import RelayFormat
from backend.relay.attempts import attempts
from backend.relay.body import check_declared, check_model_name, parse_json_object, read_limited
from backend.relay.context import RelayContext, new_request_id, request_id_of
from backend.relay.convert.multipart import Form, parse_form
from backend.relay.disconnect import unless_client_leaves
from backend.relay.error_shapes import shape_for
from backend.relay.errors import RelayError, bad_request, error_response, server_busy
from backend.relay.ingress import Ingress
from backend.relay.replies import admin_info
from backend.relay.streaming import StreamResponse
from backend.services import billing
from backend.services.errors import ServiceError

log = logging.getLogger("newapi.relay")

def client_ip(request: Request) -> str:
    """The caller's address for allow-lists and logs: through trusted proxies only (TRUSTED_PROXIES)."""
    return client_address.client_ip(request.scope)


def header_dict(scope: Scope) -> dict[str, str]:
    """All request headers, read once: lower-case names (ASGI's), the first value of a repeated one
    (as Starlette's `Headers.get`)."""
    return {k.decode("latin-1"): v.decode("latin-1") for k, v in reversed(scope["headers"])}


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
    model, channel = (ctx.model, ctx.tried[-1]) if ctx is not None and ctx.tried else ("", None)
    stream = isinstance(response, StreamResponse)
    metrics.request_done(fmt.value, model, channel, response.status_code, None if stream else time.time() - started)
    if span is not None and not stream:
        tracing.end_request(span, status=response.status_code, model=model, channel=channel, request_id=rid)


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


async def _run(ctx: RelayContext, receive: Receive) -> Response:
    caller = ctx.caller
    in_order = distributor.auto_route(caller.group, caller.user.group, ctx.model)
    group, ctx.auto_next = in_order[0], in_order[1:]
    if group != caller.group:  # `auto`: the call runs, and is billed, in the group it landed in
        caller = ctx.caller = dataclasses.replace(caller, group=group)
    try:
        pricing = media.priced(ctx.fmt, ctx.model, ctx.body, billing.pricing_for(ctx.model, caller.group, caller.user))
        await prompt_count.size_prompt(ctx)
        amount = billing.estimate_pre_consume(pricing, ctx.prompt_tokens, prompt_count.max_tokens(ctx.body))
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
        response = await unless_client_leaves(attempts(ctx, charge), receive, ctx.request_id)
        handed_off = isinstance(response, StreamResponse)
        return response
    except RelayError as err:
        error = err
        raise
    finally:
        if not handed_off and charge.state == "open":
            if error is not None and error.detail is not None:
                admin_info(ctx, charge)["upstream_error"] = error.detail  # the user's log view drops admin_info
            with tracing.child(ctx.span, "refund"):
                await lifecycle.shielded(billing.refund(charge, error=error.message if error else "relay aborted",
                                                        status_code=error.status if error else 0), "refunding a call")
