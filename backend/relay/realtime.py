"""`GET /v1/realtime`: OpenAI's Realtime API over a WebSocket, bridged to an OpenAI or Azure channel.

The caller's key comes from `Authorization` or, as browsers must send it, the subprotocol
`openai-insecure-api-key.<key>` (the socket then speaks subprotocol `realtime`). The channel's
key goes upstream, never the caller's. Frames pass both ways unchanged. Each `response.done`
is billed as it arrives, by new-api's audio rule (text and audio tokens, in and out), taken from
the balances at once; one without usage is billed from the gateway's own count of the text and
audio that went each way (`realtime_count.py`). The call is settled and logged, one row, when the
socket closes.
A refusal before the socket opens is an HTTP error in OpenAI's shape.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import orjson
from fastapi import APIRouter, WebSocket
from fastapi.responses import Response
from starlette.websockets import WebSocketDisconnect
from websockets.asyncio.client import ClientConnection, connect

from backend import client_ip
from backend.config import get_settings
from backend.json_shape import object_at
from backend.models import channel_types
from backend.models.usage import Usage
from backend.relay import auth, distributor, token_counter
from backend.relay.body import check_model_name
from backend.relay.context import new_request_id
from backend.relay.distributor import Route
from backend.relay.errors import RelayError, bad_request, error_response
from backend.relay.realtime_count import CLIENT_MARKERS, UPSTREAM_MARKERS, LocalCount
from backend.services import billing, ratios
from backend.services.errors import ServiceError
from backend.services.ledger import get_ledger

log = logging.getLogger("newapi.relay")
router = APIRouter()

KEY_PROTOCOL = "openai-insecure-api-key."
CONNECT_TIMEOUT_S = 30


@dataclass
class Totals:
    responses: int = 0
    text_in: int = 0
    audio_in: int = 0
    text_out: int = 0
    audio_out: int = 0
    input_tokens: int = 0
    output_tokens: int = 0


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0


def response_usage(event: dict[str, Any]) -> tuple[int, int, int, int, int, int] | None:
    """(text_in, audio_in, text_out, audio_out, input, output) of a `response.done` event."""
    response = event.get("response")
    usage = response.get("usage") if isinstance(response, dict) else None
    if not isinstance(usage, dict):
        return None
    din = object_at(usage, "input_token_details")
    dout = object_at(usage, "output_token_details")
    return (_int(din.get("text_tokens")), _int(din.get("audio_tokens")), _int(dout.get("text_tokens")),
            _int(dout.get("audio_tokens")), _int(usage.get("input_tokens")), _int(usage.get("output_tokens")))


def upstream_target(route: Route, query: dict[str, str]) -> tuple[str, dict[str, str]]:
    """The upstream WebSocket URL and headers for an OpenAI or Azure channel."""
    channel = route.channel
    info = channel_types.channel_type(channel.type)
    base = (channel.base_url or info.base_url or "").strip().rstrip("/")
    if not base:
        raise RelayError(500, f"channel #{channel.id} has no base URL", code="channel_base_url_missing")
    base = "wss://" + base[8:] if base.startswith("https://") else "ws://" + base[7:] if base.startswith("http://") else base
    if info.family == channel_types.AZURE:
        version = query.get("api-version") or (channel.other or "").strip() or get_settings().AZURE_DEFAULT_API_VERSION
        url = f"{base}/openai/realtime?api-version={quote(version)}&deployment={quote(route.upstream_model)}"
        return url, {"api-key": route.key}
    if info.family != channel_types.OPENAI:
        raise bad_request("realtime is served on OpenAI and Azure channels only", code="channel_not_supported")
    url = f"{base}{'' if base.endswith('/v1') else '/v1'}/realtime?model={quote(route.upstream_model)}"
    headers = {"Authorization": f"Bearer {route.key}", "OpenAI-Beta": "realtime=v1"}
    if channel.openai_organization:
        headers["OpenAI-Organization"] = channel.openai_organization
    return url, headers


async def _deny(ws: WebSocket, err: RelayError, rid: str) -> None:
    """An HTTP answer instead of the upgrade (servers without that extension just close)."""
    response: Response = error_response(err, rid)
    try:
        await ws.send_denial_response(response)
    except RuntimeError:
        await ws.close(code=1008, reason=err.message[:120])


async def _open(ws: WebSocket, rid: str) -> tuple[auth.Caller, str, billing.Pricing, Route] | None:
    protocols = [p.strip() for p in ws.headers.get("sec-websocket-protocol", "").split(",") if p.strip()]
    headers = {k.lower(): v for k, v in reversed(ws.headers.items())}
    key = next((p[len(KEY_PROTOCOL):] for p in protocols if p.startswith(KEY_PROTOCOL)), "")
    if key:
        headers["authorization"] = f"Bearer {key}"
    try:
        caller = await auth.authenticate(headers, client_ip.client_ip(ws.scope))
        model = ws.query_params.get("model", "")
        if not model:
            raise bad_request("model is required (?model=)")
        check_model_name(model)
        auth.check_model(caller, model)
        try:
            pricing = billing.pricing_for(model, caller.group, caller.user)
        except ServiceError as err:
            raise RelayError(err.status, err.message, code="model_price_error") from err
        if not pricing.free and await get_ledger().auser_quota(caller.user.id) <= 0:
            raise RelayError(403, "user quota is not enough", code="insufficient_user_quota")
        route = await distributor.route(caller.group, model, 0, frozenset(), caller.pinned_channel)
    except RelayError as err:
        await _deny(ws, err, rid)
        return None
    return caller, model, pricing, route


@router.websocket("/v1/realtime")
async def realtime(ws: WebSocket) -> None:
    rid = new_request_id()
    opened = await _open(ws, rid)
    if opened is None:
        return
    caller, model, pricing, route = opened
    try:
        url, headers = upstream_target(route, dict(ws.query_params))
        upstream = await connect(url, additional_headers=headers, max_size=None, open_timeout=CONNECT_TIMEOUT_S)
    except RelayError as err:
        await _deny(ws, err, rid)
        return
    except Exception as exc:  # noqa: BLE001 - any failure to dial (refused, TLS, handshake status) is the upstream's
        log.warning("request %s: realtime upstream of channel #%s refused: %s", rid, route.channel.id, exc)
        await _deny(ws, RelayError(502, "the upstream refused the realtime connection", code="do_request_failed",
                                   local=False), rid)
        return
    protocols = [p.strip() for p in ws.headers.get("sec-websocket-protocol", "").split(",")]
    await ws.accept(subprotocol="realtime" if "realtime" in protocols else None)
    charge = billing.Charge(user=caller.user, token=caller.token, model=model, group=caller.group, pricing=pricing,
                            reserved=0, is_stream=True, request_id=rid, ip=caller.ip, channel_id=route.channel.id)
    charge.other["admin_info"] = {"use_channel": [str(route.channel.id)]}
    if route.upstream_model != model:
        charge.other.update(is_model_mapped=True, upstream_model_name=route.upstream_model)
    totals = Totals()
    try:
        await _bridge(ws, upstream, charge, totals)
    finally:
        with contextlib.suppress(Exception):
            await upstream.close()
        await asyncio.shield(_finish(charge, totals))


def _event(frame: str) -> dict[str, Any] | None:
    try:
        event = orjson.loads(frame)
    except orjson.JSONDecodeError:
        return None
    return event if isinstance(event, dict) else None


async def _bridge(ws: WebSocket, upstream: ClientConnection, charge: billing.Charge, totals: Totals) -> None:
    local = LocalCount()  # what a response.done without usage is billed from

    async def client_to_upstream() -> None:
        while True:
            message = await ws.receive()
            if message["type"] == "websocket.disconnect":
                return
            text = message.get("text")
            if text is not None:
                await upstream.send(text)
                if any(marker in text for marker in CLIENT_MARKERS) and (event := _event(text)) is not None:
                    local.client_event(event)
            elif message.get("bytes") is not None:
                await upstream.send(message["bytes"])

    async def upstream_to_client() -> None:
        async for frame in upstream:
            if isinstance(frame, bytes):
                await ws.send_bytes(frame)
                continue
            await ws.send_text(frame)
            if '"response.done"' in frame:
                if not await _bill(ws, frame, charge, totals, local):
                    return
            elif any(marker in frame for marker in UPSTREAM_MARKERS) and (event := _event(frame)) is not None:
                local.upstream_event(event)

    tasks = [asyncio.create_task(client_to_upstream()), asyncio.create_task(upstream_to_client())]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, WebSocketDisconnect, Exception):
                await task
        with contextlib.suppress(Exception):
            await ws.close()


async def _bill(ws: WebSocket, frame: str, charge: billing.Charge, totals: Totals, local: LocalCount) -> bool:
    """Charge one response, by its usage or, without one, by the gateway's count since the last
    (new-api's local usage); False (after an error event) when the user's balance ran out."""
    event = _event(frame)
    if event is None or event.get("type") != "response.done":
        return True
    usage = response_usage(event)
    if usage is None:
        text_in, audio_in, text_out, audio_out = local.take(
            lambda text: token_counter.count_text(charge.model, text) if text else 0)
        usage = (text_in, audio_in, text_out, audio_out, text_in + audio_in, text_out + audio_out)
    else:
        local.forget()
    text_in, audio_in, text_out, audio_out, tokens_in, tokens_out = usage
    totals.responses += 1
    totals.text_in += text_in
    totals.audio_in += audio_in
    totals.text_out += text_out
    totals.audio_out += audio_out
    totals.input_tokens += tokens_in
    totals.output_tokens += tokens_out
    amount = billing.audio_quota(charge.pricing, charge.model, text_in, text_out, audio_in, audio_out)
    await billing.spend(charge, amount)
    if not charge.pricing.free and await get_ledger().auser_quota(charge.user.id) <= 0:
        error = {"type": "error", "error": {"type": "insufficient_user_quota", "code": "insufficient_user_quota",
                                            "message": "user quota is not enough"}}
        with contextlib.suppress(Exception):
            await ws.send_text(orjson.dumps(error).decode())
        return False
    return True


async def _finish(charge: billing.Charge, totals: Totals) -> None:
    """One consume row for the whole socket, with what its responses cost; nothing without any."""
    if not totals.responses:
        await billing.refund(charge)
        return
    other = {"text_input": totals.text_in, "audio_input": totals.audio_in, "text_output": totals.text_out,
             "audio_output": totals.audio_out, "audio_ratio": ratios.audio_ratio(charge.model),
             "audio_completion_ratio": ratios.audio_completion_ratio(charge.model)}
    await billing.settle_quota(charge, charge.reserved, Usage(totals.input_tokens, totals.output_tokens), other)
