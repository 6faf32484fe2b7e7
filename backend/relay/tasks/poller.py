"""The background poller: asks the upstreams how unfinished tasks are doing, stores the answers,
fails tasks that time out, and refunds failed ones.

One instance at a time polls (a Redis lock, when Redis is configured; UPDATE_TASK turns it off). The
refund's "exactly once" does not rest on the lock: a row moves to FAILURE by a compare-and-set on
the status and progress it was read with, and only the poller whose update matched refunds.
Midjourney jobs are asked for in batches per channel (`list-by-condition`); other tasks one by one
through their platform's fetcher (suno.py; lifecycle.py for the video providers).
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import orjson

from backend import lifecycle
from backend.cache.redis_client import async_eval, get_async_redis
from backend.config import get_settings
from backend.models import Midjourney, Task
from backend.models.task import FAILURE, SUCCESS
from backend.relay.tasks import mj
from backend.relay.tasks.common import FETCH_TIMEOUT_S, UpstreamFailed, channel_of, send
from backend.services import tasks

log = logging.getLogger("newapi.tasks.poller")

POLL_SECONDS = 15.0  # new-api's period
LOCK_KEY = "newapi:tasks:poll"
LOCK_MS = 120_000  # longer than one round can take; released at the end of the round
MJ_BATCH = 100
TIMEOUT_REASON = "上游任务超时"
_RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end"


@dataclass
class TaskUpdate:
    """What one upstream answer says about a task (platforms fill it in)."""

    status: str  # one of models.task's statuses
    progress: str = ""
    fail_reason: str = ""
    result_url: str = ""
    data: Any = None
    extra: dict[str, Any] = field(default_factory=dict)


# platform name -> fetch(task) answering its state (registered by suno.py and tasks/lifecycle.py)
Fetcher = Callable[[Task], Awaitable[TaskUpdate]]
FETCHERS: dict[str, Fetcher] = {}
VIDEO_FETCHER: Fetcher | None = None  # video platforms (named by channel type) without their own


async def _acquire() -> str | None:
    """A lock token when this instance may poll now, else None. No Redis: always this instance."""
    client = get_async_redis()
    token = secrets.token_hex(8)
    if client is None:
        return token
    return token if await client.set(LOCK_KEY, token, nx=True, px=LOCK_MS) else None


async def _release(token: str) -> None:
    client = get_async_redis()
    if client is not None:
        await async_eval(client, _RELEASE, 1, LOCK_KEY, token)


async def poll_once() -> bool:
    """One round over every unfinished task; False when another instance holds the lock."""
    token = await _acquire()
    if token is None:
        return False
    try:
        await poll_midjourney()
        await poll_tasks()
    finally:
        await _release(token)
    return True


# -- Midjourney -------------------------------------------------------------------------------------


def _timed_out(submitted_s: float) -> bool:
    limit = tasks.timeout_seconds()
    return bool(limit) and submitted_s > 0 and time.time() - submitted_s > limit


async def _fail_mj(row: Midjourney, reason: str) -> None:
    values = {"status": FAILURE, "progress": "100%", "fail_reason": reason}
    if await asyncio.to_thread(tasks.update_mj_if, row.id or 0, row.status, row.progress, values) and row.quota:
        await tasks.refund(tasks.Refund(row.user_id, row.token_id, row.quota, mj.model_name(row.action),
                                        row.channel_id, row.mj_id, reason))


async def poll_midjourney() -> None:
    rows = await asyncio.to_thread(tasks.unfinished_mj)
    by_channel: dict[int, list[Midjourney]] = defaultdict(list)
    for row in rows:
        if not row.mj_id:
            await _fail_mj(row, "no upstream task id")
        elif _timed_out(row.submit_time / 1000):
            await _fail_mj(row, TIMEOUT_REASON)
        else:
            by_channel[row.channel_id].append(row)
    for channel_id, group in by_channel.items():
        channel = channel_of(channel_id)
        if channel is None:
            continue  # a disabled channel keeps its jobs until it returns or they time out
        for start in range(0, len(group), MJ_BATCH):
            batch = {r.mj_id: r for r in group[start:start + MJ_BATCH]}
            try:
                reply = await send(channel, "POST", channel.base_url + "/mj/task/list-by-condition",
                                   {"Content-Type": "application/json",
                                    "mj-api-secret": channel.keys[0] if channel.keys else ""},
                                   orjson.dumps({"ids": list(batch)}), FETCH_TIMEOUT_S)
                items = reply.json() if reply.status == 200 else None
            except UpstreamFailed as exc:
                log.warning("midjourney poll of channel #%s failed: %s", channel_id, exc)
                continue
            if not isinstance(items, list):
                log.warning("midjourney poll of channel #%s: status %s, no task list", channel_id, reply.status)
                continue
            for item in items:
                if isinstance(item, dict) and item.get("id") in batch:
                    await _apply_mj(batch[item["id"]], item)


def _text(item: dict[str, Any], name: str) -> str:
    value = item.get(name)
    return value if isinstance(value, str) else ""


def _int(item: dict[str, Any], name: str) -> int:
    value = item.get(name)
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


async def _apply_mj(row: Midjourney, item: dict[str, Any]) -> None:
    values: dict[str, Any] = {
        "code": 1, "progress": _text(item, "progress"), "prompt_en": _text(item, "promptEn"),
        "state": _text(item, "state"),  # submit_time stays ours: the timeout counts from it
        "start_time": _int(item, "startTime"), "finish_time": _int(item, "finishTime"),
        "image_url": _text(item, "imageUrl"), "status": _text(item, "status"),
        "fail_reason": _text(item, "failReason"), "video_url": _text(item, "videoUrl"),
    }
    for name, column in (("properties", "properties"), ("buttons", "buttons"), ("videoUrls", "video_urls")):
        if item.get(name):
            values[column] = orjson.dumps(item[name]).decode()
    failed = (values["progress"] != "100%" and values["fail_reason"]) or \
        (values["progress"] == "100%" and values["status"] == FAILURE)
    if failed:
        values["status"], values["progress"] = FAILURE, "100%"
    if all(getattr(row, k) == v for k, v in values.items()):
        return
    won = await asyncio.to_thread(tasks.update_mj_if, row.id or 0, row.status, row.progress, values)
    if won and failed and row.quota:
        await tasks.refund(tasks.Refund(row.user_id, row.token_id, row.quota, mj.model_name(row.action),
                                        row.channel_id, row.mj_id, values["fail_reason"] or "构图失败"))


# -- other tasks ------------------------------------------------------------------------------------


async def _fail_task(row: Task, reason: str) -> None:
    values = {"status": FAILURE, "progress": "100%", "fail_reason": reason, "finish_time": int(time.time())}
    if await asyncio.to_thread(tasks.update_task_if, row.id or 0, row.status, row.progress, values):
        await _refund_task(row, reason)


async def _refund_task(row: Task, reason: str) -> None:
    private = row.private_data or {}
    props = row.properties or {}
    if row.quota:
        await tasks.refund(tasks.Refund(row.user_id, int(private.get("token_id") or 0), row.quota,
                                        str(props.get("origin_model_name") or row.action), row.channel_id,
                                        row.task_id, reason, row.group))


async def poll_tasks() -> None:
    for row in await asyncio.to_thread(tasks.unfinished_tasks):
        if _timed_out(row.submit_time):
            await _fail_task(row, TIMEOUT_REASON)
            continue
        fetcher = FETCHERS.get(row.platform) or (VIDEO_FETCHER if row.platform.isdigit() else None)
        if fetcher is None:
            continue
        try:
            update = await fetcher(row)
        except UpstreamFailed as exc:
            log.warning("task %s: poll failed: %s", row.task_id, exc)
            continue
        await _apply_task(row, update)


async def _apply_task(row: Task, update: TaskUpdate) -> None:
    values: dict[str, Any] = {"status": update.status, **update.extra}
    if update.progress:
        values["progress"] = update.progress
    if update.data is not None:
        values["data"] = update.data
    now = int(time.time())
    if update.status not in (SUCCESS, FAILURE) and not row.start_time:
        values["start_time"] = now
    if update.status == SUCCESS:
        values["progress"], values["finish_time"] = "100%", now
        if update.result_url:
            values["private_data"] = {**(row.private_data or {}), "result_url": update.result_url}
    elif update.status == FAILURE:
        values["progress"], values["finish_time"] = "100%", now
        values["fail_reason"] = update.fail_reason or "task failed"
    if all(getattr(row, k) == v for k, v in values.items() if k != "start_time") and "start_time" not in values:
        return
    won = await asyncio.to_thread(tasks.update_task_if, row.id or 0, row.status, row.progress, values)
    if won and update.status == FAILURE:
        await _refund_task(row, values["fail_reason"])


# -- the job ----------------------------------------------------------------------------------------


job = lifecycle.PeriodicJob("task-poller", lambda: POLL_SECONDS, poll_once, enabled=lambda: get_settings().UPDATE_TASK)
