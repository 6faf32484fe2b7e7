"""Channel tests: one tiny request per channel through the relay's own rules.

The test call takes the same path as live traffic where their rules meet: the distributor's
model mapping, the adaptor's request and error reading, and `retry_rules.map_status`, so a test
sees the status (and the auto-disable decision) a caller's request would.

A test sends a non-stream chat "hi" (max_tokens 10) or, for embedding models, one embeddings
call; it stores the latency and the time, writes a "模型测试" system log and charges nobody.
Failures that mean a dead key or account disable the channel, and in the all-channel run so does a
latency above `ChannelDisableThreshold`; a passing test re-enables an auto-disabled channel. All
of that only when the matching option is on and the channel allows auto-ban.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import update
from sqlmodel import col, select

from backend import lifecycle
from backend.cache.channels import ChannelInfo
from backend.config import get_settings
from backend.db import session_scope
from backend.models import Channel, channel_types
from backend.models.enums import ChannelStatus, LogType
from backend.relay import distributor
from backend.relay.adaptors import AdaptorError, RelayFormat, RelayMeta, UpstreamError, get_adaptor
from backend.relay.adaptors.errors import upstream_error
from backend.relay.attempts import read_capped
from backend.relay.errors import RelayError, from_upstream
from backend.relay.retry_rules import map_status
from backend.relay.upstream import UpstreamTransportError, get_client
from backend.services import activity_log, channel_health, options
from backend.services.errors import NotFound, ServiceError, msg

log = logging.getLogger("newapi.channels")
DEFAULT_TEST_MODEL = "gpt-4o-mini"
TEST_TIMEOUT = 60.0  # seconds; RELAY_TIMEOUT may be 0 (none) and a test must end
_EMBEDDING_HINTS = ("embedding", "embed", "bge-", "m3e")


@dataclass(frozen=True, slots=True)
class TestResult:
    success: bool
    message: str
    time: float  # seconds, as new-api reports it
    status_code: int = 0
    error: dict[str, Any] | None = None  # the upstream's error object, after status_code_mapping


def choose_model(info: ChannelInfo, requested: str | None) -> str:
    """?model= beats the channel's test_model, then its first model, then gpt-4o-mini."""
    return (requested or "").strip() or info.test_model or (info.models[0] if info.models else DEFAULT_TEST_MODEL)


def is_embedding_model(model: str) -> bool:
    lowered = model.lower()
    return any(h in lowered for h in _EMBEDDING_HINTS)


def request_body(info: ChannelInfo, model: str) -> tuple[str, dict]:
    """The OpenAI path and body of the test call for this model."""
    if is_embedding_model(model):
        return "/v1/embeddings", {"model": model, "input": ["hello world"]}
    body: dict = {"model": model, "messages": [{"role": "user", "content": "hi"}], "stream": False}
    lowered = model.lower()
    limit = 300 if info.type == channel_types.GEMINI_ID else 50 if "thinking" in lowered else 10
    if lowered.startswith(("o1", "o3", "o4", "gpt-5")):
        body["max_completion_tokens"] = limit
    else:
        body["max_tokens"] = limit
    return "/v1/chat/completions", body


def _check_reply(raw: bytes, embedding: bool) -> None:
    """A 200 whose body is not a usable answer is a failed test too."""
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise UpstreamError(200, "the upstream answered 200 with a body that is not JSON") from None
    field = "data" if embedding else "choices"
    if not isinstance(data, dict) or not isinstance(data.get(field), list) or not data[field]:
        if isinstance(data, dict) and isinstance(data.get("error"), dict):
            raise upstream_error(200, raw)
        raise UpstreamError(200, f"the upstream answered 200 without `{field}`")


async def _send(info: ChannelInfo, model: str, key: str) -> None:
    """One test call through the relay's adaptor for this channel type; raises RelayError (the
    upstream's failure, status mapped as for live traffic), UpstreamTransportError, AdaptorError
    or ServiceError on failure."""
    if not key:
        raise ServiceError(msg("the channel has no key"))
    upstream_model = distributor.upstream_model(info, model)
    path, body = request_body(info, upstream_model)
    fmt = RelayFormat.OPENAI_EMBEDDINGS if path.endswith("embeddings") else RelayFormat.OPENAI_CHAT
    meta = RelayMeta(fmt=fmt, origin_model=model, upstream_model=upstream_model, path=path, options=options)
    adaptor = get_adaptor(info, key, meta)
    try:
        await adaptor.prepare(get_client())
        req = adaptor.build_request(body)
        resp = await adaptor.send(get_client(), req)
        try:
            raw = await resp.aread() if resp.status_code == 200 else await read_capped(resp)
        finally:
            await resp.aclose()
        if resp.status_code != 200:
            raise adaptor.parse_error(resp.status_code, raw)
        out = adaptor.parse_response(raw, resp.headers.get("content-type"))
        _check_reply(out.body, fmt == RelayFormat.OPENAI_EMBEDDINGS)
    except UpstreamError as err:
        raise map_status(from_upstream(err), info.status_code_mapping) from err


def _load(channel_id: int) -> ChannelInfo:
    with session_scope() as s:
        row = s.get(Channel, channel_id)
        if row is None:
            raise NotFound(msg("channel not found"))
        return ChannelInfo.from_row(row)


def _record(info: ChannelInfo, model: str, result: TestResult, user_id: int, username: str) -> None:
    ms = int(result.time * 1000)
    with session_scope() as s:
        s.execute(update(Channel).where(col(Channel.id) == info.id)
                  .values(response_time=ms, test_time=int(time.time())))
    outcome = "成功" if result.success else f"失败：{result.message[:300]}"
    activity_log.record(
        user_id, username, LogType.SYSTEM, f"模型测试：通道「{info.name}」（#{info.id}）模型 {model}，{ms} ms，{outcome}",
        other={"event": "channel_test", "channel_id": info.id, "channel_name": info.name, "model": model,
               "ms": ms, "success": result.success, "error": "" if result.success else result.message[:300]},
    )


async def run_test(
    channel_id: int, model: str | None = None, *, user_id: int = 0, username: str = "", check_latency: bool = False
) -> TestResult:
    """Test one channel, record the outcome and apply auto-disable / auto-enable."""
    info = await asyncio.to_thread(_load, channel_id)
    chosen = choose_model(info, model)
    key = random.choice(info.keys) if info.keys else ""
    started = time.perf_counter()
    status_code, error = 0, None
    try:
        await asyncio.wait_for(_send(info, chosen, key), TEST_TIMEOUT)
        success, message = True, ""
    except RelayError as exc:
        success, message, status_code, error = False, exc.message, exc.status, exc.error_object()
    except UpstreamTransportError as exc:
        success, message = False, f"upstream request failed: {exc}"
    except TimeoutError:
        success, message = False, f"no answer from the upstream within {TEST_TIMEOUT:.0f} s"
    except (ServiceError, AdaptorError) as exc:
        success, message = False, exc.message
    result = TestResult(success, message, round(time.perf_counter() - started, 3), status_code, error)
    await asyncio.to_thread(_record, info, chosen, result, user_id, username)
    await _apply_health(info, result, check_latency, key)
    return result


async def _apply_health(info: ChannelInfo, result: TestResult, check_latency: bool, key: str = "") -> None:
    if info.status == ChannelStatus.ENABLED:
        reason = ""
        if not result.success and result.status_code and channel_health.should_disable(
            result.status_code, result.error, info
        ):
            reason = result.message
        threshold = options.get_float("ChannelDisableThreshold", 5.0)
        if check_latency and result.success and threshold > 0 and result.time > threshold:
            reason = f"response time {result.time:.2f} s is above the {threshold:g} s threshold"
        if reason and info.auto_ban == 1:
            # a dead key costs a multi-key channel only that key; slowness is the channel's
            await channel_health.auto_disable(info.id, reason, key if result.status_code else None)
    elif info.status == ChannelStatus.AUTO_DISABLED and result.success:
        await channel_health.auto_enable(info.id)


# ---- test all ------------------------------------------------------------------------------

_all_task: asyncio.Task | None = None


def _testable_ids() -> list[int]:
    """Enabled and auto-disabled channels; a channel an admin switched off stays untouched."""
    with session_scope() as s:
        return [
            int(i)
            for i in s.exec(
                select(Channel.id).where(col(Channel.status) != ChannelStatus.MANUALLY_DISABLED)
                .order_by(col(Channel.id))
            ).all()
        ]


async def _test_all(user_id: int, username: str) -> None:
    for channel_id in await asyncio.to_thread(_testable_ids):
        try:
            await run_test(channel_id, user_id=user_id, username=username, check_latency=True)
        except NotFound:
            continue  # deleted meanwhile
        except Exception:
            log.exception("testing channel #%s failed", channel_id)


def start_test_all(user_id: int = 0, username: str = "") -> asyncio.Task:
    """Run the all-channel test in the background (one at a time per process)."""
    global _all_task
    if _all_task is not None and not _all_task.done():
        raise ServiceError(msg("all channels are already being tested"))
    _all_task = asyncio.create_task(_test_all(user_id, username), name="newapi-channel-test-all")
    return _all_task


def _periodic_enabled() -> bool:
    s = get_settings()
    return s.CHANNEL_TEST_FREQUENCY > 0 and s.NODE_TYPE != "slave"


async def _periodic_test() -> None:
    await _test_all(0, "")


_periodic = lifecycle.PeriodicJob(
    "newapi-channel-test", lambda: get_settings().CHANNEL_TEST_FREQUENCY * 60, _periodic_test,
    enabled=_periodic_enabled,
)


@lifecycle.on_shutdown
async def _stop_test_all() -> None:
    global _all_task
    if _all_task is not None and not _all_task.done():
        _all_task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await _all_task
    _all_task = None


@lifecycle.on_reset
def _reset() -> None:
    global _all_task
    _all_task = None
