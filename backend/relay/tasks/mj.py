"""Midjourney-Proxy (Plus) relay, new-api's rules (relay/mjproxy_handler.go, service/midjourney.go).

A submit names its action by its path (or, for `/submit/action`, by the Plus `customId`; for
`/submit/simple-change`, by `"<taskId> U1"`), is billed as model `mj_<action>` on the channel that
serves it (follow-ups on the channel of the task they act on) and reaches the upstream with only the
channel's key in `mj-api-secret`. The charge stays only when the upstream accepted the job (code 1,
or 21/22 "exists"/"queued", which the caller sees as 1); an action we do not know is refused before
anything is reserved or sent.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import time
from typing import Any

import orjson
from fastapi import Request
from fastapi.responses import JSONResponse, Response

from backend.json_shape import list_at
from backend.models import Midjourney
from backend.relay import distributor
from backend.relay.auth import Caller
from backend.relay.context import request_id_of
from backend.relay.errors import RelayError
from backend.relay.redact import clip, redact
from backend.relay.tasks import charge as task_charge
from backend.relay.tasks.common import (
    FETCH_TIMEOUT_S,
    SUBMIT_TIMEOUT_S,
    UpstreamFailed,
    caller_of,
    channel_of,
    route_for,
    send,
)
from backend.services import options, safe_fetch, tasks
from backend.services.errors import ServiceError

REQUEST_ERROR = 4  # new-api constant.MjRequestError
UNKNOWN_ERROR = 5  # constant.MjErrorUnknown

IMAGINE, DESCRIBE, BLEND, UPSCALE, VARIATION, REROLL = "IMAGINE", "DESCRIBE", "BLEND", "UPSCALE", "VARIATION", "REROLL"
INPAINT, MODAL, ZOOM, CUSTOM_ZOOM, SHORTEN = "INPAINT", "MODAL", "ZOOM", "CUSTOM_ZOOM", "SHORTEN"
HIGH_VARIATION, LOW_VARIATION, PAN, SWAP_FACE = "HIGH_VARIATION", "LOW_VARIATION", "PAN", "SWAP_FACE"
UPLOAD, VIDEO, EDITS = "UPLOAD", "VIDEO", "EDITS"
ACTIONS = frozenset({IMAGINE, DESCRIBE, BLEND, UPSCALE, VARIATION, REROLL, INPAINT, MODAL, ZOOM, CUSTOM_ZOOM, SHORTEN,
                     HIGH_VARIATION, LOW_VARIATION, PAN, SWAP_FACE, UPLOAD, VIDEO, EDITS})
UNBILLED = frozenset({INPAINT, CUSTOM_ZOOM})  # new-api: Plus's inpaint and custom zoom are free

# the submit paths and the action each fixes (None: read from the body)
SUBMIT_MODES: dict[str, str | None] = {
    "imagine": IMAGINE, "describe": DESCRIBE, "blend": BLEND, "edits": EDITS, "shorten": SHORTEN,
    "upload-discord-images": UPLOAD, "video": VIDEO, "modal": MODAL,
    "action": None, "change": None, "simple-change": None,
}
ACCEPTED = frozenset({1, 21, 22})


def mj_error(code: int, description: str, status: int = 400) -> JSONResponse:
    """new-api's MJ failure body (controller/relay.go RelayMidjourney)."""
    return JSONResponse({"description": description, "type": "upstream_error", "code": code}, status_code=status)


class MjRefused(Exception):
    def __init__(self, description: str, code: int = REQUEST_ERROR, status: int = 400) -> None:
        super().__init__(description)
        self.description, self.code, self.status = description, code, status


def model_name(action: str) -> str:
    return "swap_face" if action == SWAP_FACE else "mj_" + action.lower()


def plus_action(custom_id: Any) -> tuple[str, int]:
    """A Plus `customId` (`MJ::JOB::upsample::2::<hash>`) -> (action, index)."""
    if not isinstance(custom_id, str) or not custom_id:
        raise MjRefused("custom_id_is_required")
    parts = custom_id.split("::")
    if len(parts) < 2:
        raise MjRefused("unknown_action")
    name = parts[2] if parts[1] == "JOB" and len(parts) > 2 else parts[1]

    def index() -> int:
        try:
            return int(parts[3])
        except (IndexError, ValueError) as exc:
            raise MjRefused("index_parse_failed") from exc

    if "upsample" in name:
        return UPSCALE, index()
    if name == "variation":
        return VARIATION, index()
    if name == "low_variation":
        return LOW_VARIATION, 1
    if name == "high_variation":
        return HIGH_VARIATION, 1
    if "pan" in name:
        return PAN, 1
    if "reroll" in name:
        return REROLL, 1
    known = {"Outpaint": ZOOM, "CustomZoom": CUSTOM_ZOOM, "Inpaint": INPAINT}
    if name in known:
        return known[name], 1
    raise MjRefused("unknown_action")


def simple_change(content: Any) -> tuple[str, str, int]:
    """`"<taskId> U2"` -> (task id, action, index); new-api's ConvertSimpleChangeParams."""
    parts = content.split(" ") if isinstance(content, str) else []
    if len(parts) != 2 or not parts[1]:
        raise MjRefused("content_parse_failed")
    task_id, op = parts[0], parts[1].lower()
    if op == "r":
        return task_id, REROLL, 0
    action = {"u": UPSCALE, "v": VARIATION}.get(op[0])
    if action is None or len(op) < 2 or not op[1].isdigit() or not 1 <= int(op[1]) <= 4:
        raise MjRefused("content_parse_failed")
    return task_id, action, int(op[1])


def _clean_body(body: dict[str, Any]) -> dict[str, Any]:
    if not options.get_bool("MjAccountFilterEnabled"):
        body.pop("accountFilter", None)
    if not options.get_bool("MjNotifyEnabled"):
        body.pop("notifyHook", None)
    if options.get_bool("MjModeClearEnabled") and isinstance(body.get("prompt"), str):
        for flag in ("--fast", "--relax", "--turbo"):
            body["prompt"] = body["prompt"].replace(flag, "")
    return body


def upstream_path(path: str) -> str:
    """The path the upstream gets: `/mj/...` as called, and a speed alias (`/fast/mj/...`,
    `/mj-fast/mj/...`) as MJ-Plus spells it, `/mj-fast/mj/...` (Plus reads the speed from there)."""
    head, sep, rest = path.partition("/mj/")
    mode = head.strip("/")
    if not sep or not mode:
        return path
    return f"/{mode if mode.startswith('mj-') else 'mj-' + mode}/mj/{rest}"


async def _body(request: Request) -> dict[str, Any]:
    try:
        body = orjson.loads(await request.body())
    except orjson.JSONDecodeError as exc:
        raise MjRefused("bind_request_body_failed") from exc
    if not isinstance(body, dict):
        raise MjRefused("bind_request_body_failed")
    return body


async def _authed(request: Request) -> Caller:
    try:
        return await caller_of(request, mj=True)
    except RelayError as exc:
        raise MjRefused(exc.message, REQUEST_ERROR, exc.status) from exc


def _mj_headers(key: str) -> dict[str, str]:
    return {"Content-Type": "application/json", "Accept": "application/json", "mj-api-secret": key.removeprefix("Bearer ")}


# -- submit -----------------------------------------------------------------------------------------


async def submit(request: Request, mode: str) -> Response:
    try:
        return await _submit(request, mode)
    except MjRefused as exc:
        return mj_error(exc.code, exc.description, exc.status)


async def _submit(request: Request, mode: str) -> Response:
    if mode not in SUBMIT_MODES and mode != "swap-face":
        raise MjRefused("unknown_relay_action")
    caller = await _authed(request)
    if not options.get_bool("DrawingEnabled"):
        raise MjRefused("drawing is disabled by the administrator", status=403)
    body = await _body(request)
    action, origin_id = _action_of(mode, body)
    if action not in ACTIONS:
        raise MjRefused("unknown_action")
    origin: Midjourney | None = None
    if origin_id:
        origin = await asyncio.to_thread(tasks.get_mj, caller.user.id, origin_id)
        if origin is None:
            raise MjRefused("task_not_found")
        if (options.get_bool("MjActionCheckSuccessEnabled") and origin.status != "SUCCESS"
                and mode != "modal"):
            raise MjRefused("task_status_not_success")
        body["prompt"] = origin.prompt
    model = model_name(action)
    if origin is not None:
        channel = channel_of(origin.channel_id)
        if channel is None:
            raise MjRefused("该任务所属渠道已被禁用")
        key = await distributor.choose_key(channel)
    else:
        try:
            route = await route_for(caller, model)
        except RelayError as exc:
            raise MjRefused(exc.message, REQUEST_ERROR, exc.status) from exc
        channel, key = route.channel, route.key
    billed = action not in UNBILLED
    try:
        charge = await task_charge.reserve(caller, model, channel.id, request_id=request_id_of(request.scope)) \
            if billed else None
    except ServiceError as exc:  # no price, or the balance is short
        raise MjRefused(exc.message, REQUEST_ERROR, exc.status if exc.status < 500 else 400) from exc
    path = upstream_path(request.url.path)
    try:
        reply = await send(channel, "POST", channel.base_url + path, _mj_headers(key),
                           orjson.dumps(_clean_body(body)), SUBMIT_TIMEOUT_S)
        answer = reply.json() if reply.body else None
    except UpstreamFailed as exc:
        if charge is not None:
            await task_charge.decline(charge)
        raise MjRefused("do_request_failed", UNKNOWN_ERROR) from exc
    if not isinstance(answer, dict):
        if charge is not None:
            await task_charge.decline(charge)
        raise MjRefused("unmarshal_response_body_failed" if reply.body else "empty_response_body", UNKNOWN_ERROR)
    return await _record(caller, action, body, channel.id, charge, reply.status, answer, reply.body, channel.keys)


def _action_of(mode: str, body: dict[str, Any]) -> tuple[str, str]:
    """(action, id of the task acted on or "")."""
    fixed = SUBMIT_MODES.get(mode)
    if mode == "swap-face":
        if not body.get("sourceBase64") or not body.get("targetBase64"):
            raise MjRefused("sour_base64_and_target_base64_is_required")
        return SWAP_FACE, ""
    if mode == "imagine":
        if not isinstance(body.get("prompt"), str) or not body["prompt"]:
            raise MjRefused("prompt_is_required")
        return IMAGINE, ""
    if mode in ("describe", "blend", "edits", "shorten", "upload-discord-images"):
        return fixed or "", ""
    given = body.get("taskId")
    task_id = given if isinstance(given, str) else ""
    if mode == "action":
        action, index = plus_action(body.get("customId"))
        body["action"], body["index"] = action, index
        if not task_id:
            raise MjRefused("task_id_is_required")
        return action, task_id
    if mode == "change":
        if not task_id:
            raise MjRefused("task_id_is_required")
        if not body.get("action"):
            raise MjRefused("action_is_required")
        if not body.get("index"):
            raise MjRefused("index_is_required")
        action = body["action"] if isinstance(body["action"], str) else ""
        return action.upper(), task_id
    if mode == "simple-change":
        if not body.get("content"):
            raise MjRefused("content_is_required")
        task_id, action, _index = simple_change(body["content"])
        return action, task_id
    if mode == "modal":
        return MODAL, task_id
    if mode == "video":
        return VIDEO, task_id
    raise MjRefused("unknown_relay_action")


async def _record(caller: Caller, action: str, body: dict[str, Any], channel_id: int, charge: Any, status: int,
                  answer: dict[str, Any], raw: bytes, secrets: tuple[str, ...]) -> Response:
    given = answer.get("code")
    code = given if isinstance(given, int) else 0
    result = answer.get("result")
    accepted = status == 200 and code in ACCEPTED
    row = Midjourney(user_id=caller.user.id, code=code, action=action,
                     mj_id=result if isinstance(result, str) else "", prompt=str(body.get("prompt") or ""),
                     description=str(answer.get("description") or ""), submit_time=tasks.now_ms(),
                     progress="0%", channel_id=channel_id, token_id=caller.token.id if caller.token else 0)
    if code == 21 and isinstance(answer.get("properties"), dict):
        props = answer["properties"]
        if isinstance(props.get("imageUrl"), str) and isinstance(props.get("status"), str):
            row.image_url, row.status = props["imageUrl"], props["status"]
            if row.status == "SUCCESS":
                row.progress, row.start_time, row.finish_time = "100%", tasks.now_ms(), tasks.now_ms()
    if accepted and action == UPLOAD:
        row.progress, row.status = "100%", "SUCCESS"
    if not accepted:  # nothing to poll, nothing charged: the row records the refusal
        row.fail_reason, row.status, row.progress = row.description or "submit refused", "FAILURE", "100%"
    if accepted and charge is not None:
        row.quota = await task_charge.accept(charge, f"操作 {action}，ID {row.mj_id}")
    elif charge is not None:
        await task_charge.decline(charge)
    await asyncio.to_thread(tasks.insert_mj, row)
    if status in (401, 403):  # the channel's key was refused, not the caller's
        return mj_error(UNKNOWN_ERROR, "the upstream refused this channel's credentials", 502)
    if not accepted:  # the upstream's words, without keys or addresses
        answer = {**answer, "description": redact(clip(answer.get("description") or ""), secrets)}
        return JSONResponse(answer, status_code=status if status < 500 else 502)
    if code in (21, 22) and action not in UNBILLED:
        raw = raw.replace(f'"code":{code}'.encode(), b'"code":1')
    return Response(raw, status_code=status, media_type="application/json")


# -- reads ------------------------------------------------------------------------------------------


def task_dto(row: Midjourney) -> dict[str, Any]:
    """A stored job in Midjourney-Proxy's task shape (new-api coverMidjourneyTaskDto)."""
    image = row.image_url or ""
    if image and options.get_bool("MjForwardUrlEnabled"):
        image = tasks.image_proxy_url(row.mj_id)
        if row.status != "SUCCESS":
            image += f"&rand={time.time_ns()}"
    dto: dict[str, Any] = {
        "id": row.mj_id, "action": row.action, "prompt": row.prompt or "", "promptEn": row.prompt_en or "",
        "description": row.description or "", "state": row.state or "", "submitTime": row.submit_time,
        "startTime": row.start_time, "finishTime": row.finish_time, "imageUrl": image,
        "videoUrl": row.video_url or "", "status": row.status or "", "progress": row.progress or "",
        "failReason": row.fail_reason or "",
    }
    for name, raw in (("buttons", row.buttons), ("videoUrls", row.video_urls), ("properties", row.properties)):
        if raw:
            with contextlib.suppress(orjson.JSONDecodeError):  # a malformed stored value is left out
                dto[name] = orjson.loads(raw)
    return dto


async def fetch(request: Request, task_id: str) -> Response:
    try:
        caller = await _authed(request)
    except MjRefused as exc:
        return mj_error(exc.code, exc.description, exc.status)
    row = await asyncio.to_thread(tasks.get_mj, caller.user.id, task_id)
    if row is None:
        return mj_error(REQUEST_ERROR, "task_no_found")
    return JSONResponse(task_dto(row))


async def list_by_condition(request: Request) -> Response:
    try:
        caller = await _authed(request)
        body = await _body(request)
    except MjRefused as exc:
        return mj_error(exc.code, exc.description, exc.status)
    ids = list_at(body, "ids")
    rows = await asyncio.to_thread(tasks.get_mjs, caller.user.id, ids)
    return JSONResponse([task_dto(r) for r in rows])


async def image_seed(request: Request, task_id: str) -> Response:
    try:
        caller = await _authed(request)
    except MjRefused as exc:
        return mj_error(exc.code, exc.description, exc.status)
    row = await asyncio.to_thread(tasks.get_mj, caller.user.id, task_id)
    if row is None:
        return mj_error(REQUEST_ERROR, "task_no_found")
    channel = channel_of(row.channel_id)
    if channel is None:
        return mj_error(REQUEST_ERROR, "该任务所属渠道已被禁用")
    try:
        reply = await send(channel, "GET", channel.base_url + f"/mj/task/{row.mj_id}/image-seed",
                           _mj_headers(channel.keys[0] if channel.keys else ""), None, FETCH_TIMEOUT_S)
        answer = reply.json()
    except UpstreamFailed:
        return mj_error(UNKNOWN_ERROR, "do_request_failed")
    return JSONResponse(answer, status_code=reply.status)


async def image(mj_id: str, sig: str) -> Response:
    """`GET /mj/image/:id?sig=`: the job's image through us (no key: the signature, which only our
    own replies carry, stands for it). The upstream URL obeys the fetch rules (SSRF)."""
    if not sig or not hmac.compare_digest(sig, tasks.image_signature(mj_id)):
        return JSONResponse({"error": "invalid_signature"}, status_code=403)
    row = await asyncio.to_thread(tasks.get_mj_any, mj_id)
    if row is None or not row.image_url:
        return JSONResponse({"error": "midjourney_task_not_found"}, status_code=400)
    try:
        fetched = await safe_fetch.fetch(row.image_url)
    except safe_fetch.FetchFailed:
        return JSONResponse({"error": "http_get_image_failed"}, status_code=502)
    except ServiceError as exc:  # a fetch rule refused the URL
        return JSONResponse({"error": f"request blocked: {exc.message}"}, status_code=403)
    if fetched.status != 200:
        return JSONResponse({"error": "http_get_image_failed"}, status_code=502)
    return Response(fetched.body, media_type=fetched.headers.get("Content-Type") or "image/jpeg")
