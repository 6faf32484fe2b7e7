"""User notifications as new-api sends them: email, webhook (HMAC-signed), Bark, Gotify.

Nothing here runs on a request's path. `submit()` only puts the notice on a bounded queue, which
one background thread (with its own event loop) drains; a full queue drops the notice with a log
line. Each (user, type) is throttled to NOTIFY_LIMIT_COUNT notices per
NOTIFICATION_LIMIT_DURATION_MINUTE (new-api's limits). A failed delivery is logged, never raised.
User-supplied URLs (webhook, Bark, Gotify) are fetched through `safe_fetch` (SSRF rules).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import queue
import threading
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote_plus

import orjson
from sqlmodel import col, select

from backend import lifecycle
from backend.cache import redis_client
from backend.cache.entities import UserInfo
from backend.config import get_settings
from backend.db import session_scope
from backend.models import User
from backend.models.enums import Role
from backend.services import mailer, ratelimit, safe_fetch
from backend.services.errors import msg

log = logging.getLogger("newapi.notify")

VALUE = "{{value}}"
QUOTA_EXCEED, CHANNEL_UPDATE = "quota_exceed", "channel_update"
KINDS = ("email", "webhook", "bark", "gotify")
_QUEUE_SIZE = 1000


@dataclass(frozen=True)
class Notice:
    """new-api's dto.Notify: `content` holds `{{value}}` placeholders filled from `values` in order."""

    type: str
    title: str
    content: str
    values: tuple[Any, ...] = ()
    timestamp: int = field(default_factory=lambda: int(time.time()))

    def rendered(self) -> str:
        text = self.content
        for value in self.values:
            text = text.replace(VALUE, str(value), 1)
        return text

    def payload(self) -> dict[str, Any]:
        return {"type": self.type, "title": self.title, "content": self.content, "values": list(self.values),
                "timestamp": self.timestamp}


@dataclass(frozen=True)
class Recipient:
    user_id: int
    email: str
    setting: dict[str, Any]


def webhook_signature(secret: str, body: bytes) -> str:
    """`X-Webhook-Signature`: hex HMAC-SHA256 of the exact body bytes with the user's secret."""
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class Throttle:
    """At most `count` notices per (user, type) in a sliding window of `window` seconds: counted in
    Redis when it is configured, so every gateway instance shares one budget (new-api counts in
    Redis too), else in this process."""

    def __init__(self) -> None:
        self._sent: dict[tuple[int, str], deque[float]] = {}
        self._lock = threading.Lock()

    def allow(self, user_id: int, kind: str) -> bool:
        s = get_settings()
        count, window = s.NOTIFY_LIMIT_COUNT, s.NOTIFICATION_LIMIT_DURATION_MINUTE * 60
        if count > 0 and redis_client.enabled():
            return ratelimit.allow("notify:", f"{user_id}:{kind}", count, window)
        now = time.monotonic()
        with self._lock:
            sent = self._sent.setdefault((user_id, kind), deque())
            while sent and now - sent[0] >= window:
                sent.popleft()
            if count > 0 and len(sent) >= count:
                return False
            sent.append(now)
            return True

    def clear(self) -> None:
        with self._lock:
            self._sent.clear()


throttle = Throttle()


async def deliver(to: Recipient, notice: Notice) -> str:
    """Send one notice the way the user chose; returns what happened (for logs and tests)."""
    setting = to.setting
    kind = setting.get("notify_type") or "email"
    if kind == "email":
        address = str(setting.get("notification_email") or to.email or "")
        if not address:
            return "skipped: no email address"
        await mailer.send(address, notice.title, notice.rendered())
    elif kind == "webhook":
        url = str(setting.get("webhook_url") or "")
        if not url:
            return "skipped: no webhook url"
        body = orjson.dumps(notice.payload())
        headers = {"Content-Type": "application/json"}
        secret = str(setting.get("webhook_secret") or "")
        if secret:
            headers["X-Webhook-Signature"] = webhook_signature(secret, body)
        _check((await safe_fetch.fetch(url, method="POST", data=body, headers=headers, max_bytes=65536)).status)
    elif kind == "bark":
        template = str(setting.get("bark_url") or "")
        if not template:
            return "skipped: no bark url"
        url = template.replace("{{title}}", quote_plus(notice.title)).replace("{{content}}",
                                                                               quote_plus(notice.rendered()))
        _check((await safe_fetch.fetch(url, headers={"User-Agent": "OneAPI-Bark-Notify/1.0"},
                                       max_bytes=65536)).status)
    elif kind == "gotify":
        base, token = str(setting.get("gotify_url") or ""), str(setting.get("gotify_token") or "")
        if not base or not token:
            return "skipped: no gotify url or token"
        priority = setting.get("gotify_priority")
        priority = priority if isinstance(priority, int) and 0 <= priority <= 10 else 5
        url = base.rstrip("/") + "/message?token=" + quote_plus(token)
        body = orjson.dumps({"title": notice.title, "message": notice.rendered(), "priority": priority})
        _check((await safe_fetch.fetch(url, method="POST", data=body, max_bytes=65536,
                                       headers={"Content-Type": "application/json; charset=utf-8"})).status)
    else:
        return f"skipped: unknown notify type {kind!r}"
    return f"sent by {kind}"


def _check(status: int) -> None:
    if not 200 <= status < 300:
        raise safe_fetch.FetchFailed(msg("the receiver answered {status}", status=status))


Job = Callable[[], Awaitable[str]]


class _Worker:
    """One daemon thread with its own event loop, running queued jobs in order."""

    def __init__(self) -> None:
        self.queue: queue.Queue[tuple[int, str, Job] | None] = queue.Queue(_QUEUE_SIZE)
        self.outcomes: deque[tuple[int, str, str]] = deque(maxlen=100)  # (user, type, outcome), newest last
        self.thread = threading.Thread(target=self._run, name="notify", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        try:
            while (item := self.queue.get()) is not None:
                loop.run_until_complete(self._one(*item))
        finally:
            loop.close()

    async def _one(self, user_id: int, kind: str, job: Job) -> None:
        try:
            outcome = await job()
        except Exception as exc:  # a notice must never take the worker down
            outcome = f"failed: {getattr(exc, 'message', None) or type(exc).__name__}"
            log.warning("notice %s to user %d failed: %s", kind, user_id, outcome)
        else:
            log.info("notice %s to user %d: %s", kind, user_id, outcome)
        self.outcomes.append((user_id, kind, outcome))


_worker: _Worker | None = None
_worker_lock = threading.Lock()


def worker() -> _Worker:
    global _worker
    with _worker_lock:
        if _worker is None or not _worker.thread.is_alive():
            _worker = _Worker()
        return _worker


def enqueue(user_id: int, kind: str, job: Job) -> bool:
    """Run `job` on the notice thread; never blocks. False when the queue is full."""
    try:
        worker().queue.put_nowait((user_id, kind, job))
    except queue.Full:
        log.warning("notice queue full; notice %s to user %d dropped", kind, user_id)
        return False
    return True


async def send_throttled(to: Recipient, notice: Notice) -> str:
    if not throttle.allow(to.user_id, notice.type):
        return "throttled"
    return await deliver(to, notice)


def submit(to: Recipient, notice: Notice) -> bool:
    """Queue a notice (throttled when sent); never blocks."""
    return enqueue(to.user_id, notice.type, lambda: send_throttled(to, notice))


def notify_root(kind: str, title: str, content: str) -> bool:
    """Tell the root user (channel disabled / enabled); the root row is read on the notice thread."""

    async def job() -> str:
        with session_scope() as s:
            root = s.exec(select(User).where(User.role == Role.ROOT, col(User.deleted_at).is_(None))
                          .order_by(col(User.id))).first()
            if root is None:
                return "skipped: no root user"
            to = Recipient(root.id, root.email or "", UserInfo.from_row(root).setting)
        return await send_throttled(to, Notice(kind, title, content))

    return enqueue(0, kind, job)


def _reset() -> None:
    throttle.clear()
    if _worker is not None:
        _worker.outcomes.clear()


lifecycle.on_reset(_reset)
