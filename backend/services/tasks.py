"""Stored asynchronous tasks (`midjourneys`, `tasks`): reads scoped to their owner, compare-and-set
status changes, and the one refund a failed task gets.

The money rule: a task is charged when the upstream accepts it (relay/tasks/charge.py) and refunded
at most once when it fails. "At most once" is a compare-and-set on the row's status: whichever
poller (of however many instances) moves the row out of its last seen status to FAILURE is the only
one that refunds; the others' updates match no row.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import string
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, update
from sqlmodel import Session, col, select

from backend import cache
from backend.config import get_settings
from backend.db import session_scope
from backend.models import Midjourney, Task
from backend.models.enums import LogType
from backend.models.task import FINISHED
from backend.services import options, usage_log
from backend.services.ledger import aflush_all, get_ledger

log = logging.getLogger("newapi.tasks")

_ALPHABET = string.ascii_letters + string.digits


def new_public_id() -> str:
    """new-api's `task_` + 32 random characters: never the upstream's id, so ids cannot be guessed
    from another provider's numbering."""
    return "task_" + "".join(secrets.choice(_ALPHABET) for _ in range(32))


def now_ms() -> int:
    return time.time_ns() // 1_000_000


# -- Midjourney -------------------------------------------------------------------------------------


def insert_mj(row: Midjourney) -> Midjourney:
    with session_scope() as s:
        s.add(row)
        s.commit()
        s.refresh(row)
        s.expunge(row)
        return row


def get_mj(user_id: int, mj_id: str) -> Midjourney | None:
    """The caller's own task; another user's id answers None, the same as an unknown one."""
    if not mj_id:
        return None
    with session_scope() as s:
        return s.exec(select(Midjourney).where(Midjourney.user_id == user_id, Midjourney.mj_id == mj_id)
                      .order_by(col(Midjourney.id).desc())).first()


def get_mjs(user_id: int, mj_ids: Sequence[str]) -> list[Midjourney]:
    ids = [i for i in mj_ids if isinstance(i, str) and i][:1000]
    if not ids:
        return []
    with session_scope() as s:
        return list(s.exec(select(Midjourney).where(Midjourney.user_id == user_id, col(Midjourney.mj_id).in_(ids))))


def get_mj_any(mj_id: str) -> Midjourney | None:
    """For the image proxy, whose URL is signed (relay/tasks/mj_image.py)."""
    if not mj_id:
        return None
    with session_scope() as s:
        return s.exec(select(Midjourney).where(col(Midjourney.mj_id) == mj_id)
                      .order_by(col(Midjourney.id).desc())).first()


def unfinished_mj(limit: int = 1000) -> list[Midjourney]:
    with session_scope() as s:
        return list(s.exec(select(Midjourney).where(col(Midjourney.progress) != "100%").order_by(col(Midjourney.id))
                           .limit(limit)))


def update_mj_if(row_id: int, from_status: str, from_progress: str, values: Mapping[str, Any]) -> bool:
    """Write `values` only while the row still has the status and progress it was read with; True
    when this call won (a failure sets progress 100%, so a second poller's update then matches nothing)."""
    with session_scope() as s:
        result = s.exec(update(Midjourney).where(col(Midjourney.id) == row_id, col(Midjourney.status) == from_status,
                                                 col(Midjourney.progress) == from_progress)
                        .values(**values))
        s.commit()
        return (result.rowcount or 0) > 0


# -- tasks (Suno, video) ----------------------------------------------------------------------------


def insert_task(row: Task) -> Task:
    row.created_at = row.updated_at = int(time.time())
    with session_scope() as s:
        s.add(row)
        s.commit()
        s.refresh(row)
        s.expunge(row)
        return row


def get_task(user_id: int, task_id: str) -> Task | None:
    if not task_id:
        return None
    with session_scope() as s:
        return s.exec(select(Task).where(Task.user_id == user_id, Task.task_id == task_id)).first()


def get_tasks(user_id: int, task_ids: Sequence[str]) -> list[Task]:
    ids = [i for i in task_ids if isinstance(i, str) and i][:1000]
    if not ids:
        return []
    with session_scope() as s:
        return list(s.exec(select(Task).where(Task.user_id == user_id, col(Task.task_id).in_(ids))))


def unfinished_tasks(limit: int = 1000) -> list[Task]:
    with session_scope() as s:
        return list(s.exec(select(Task).where(Task.progress != "100%", col(Task.status).not_in(list(FINISHED)))
                           .order_by(col(Task.id)).limit(limit)))


def update_task_if(row_id: int, from_status: str, from_progress: str, values: Mapping[str, Any]) -> bool:
    """`update_mj_if` for `tasks`."""
    with session_scope() as s:
        result = s.exec(update(Task).where(col(Task.id) == row_id, col(Task.status) == from_status,
                                           col(Task.progress) == from_progress)
                        .values(updated_at=int(time.time()), **values))
        s.commit()
        return (result.rowcount or 0) > 0


# -- refunds ----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Refund:
    user_id: int
    token_id: int
    quota: int
    model: str
    channel_id: int
    task_id: str
    reason: str
    group: str = ""


async def refund(r: Refund) -> None:
    """Give a failed task's charge back to user and key, and log it (type 6, REFUND). Only the
    winner of the status compare-and-set calls this, so it runs once per task."""
    if r.quota <= 0:
        return
    await get_ledger().aapply(r.user_id, r.token_id or None, quota_delta=-r.quota, used=-r.quota,
                              channel_id=r.channel_id)
    user = await cache.get_user(r.user_id)
    usage_log.record({
        "user_id": r.user_id, "username": user.username if user else "", "type": int(LogType.REFUND),
        "content": f"异步任务失败退款，任务 {r.task_id}", "model_name": r.model, "quota": r.quota,
        "channel_id": r.channel_id, "token_id": r.token_id, "group": r.group,
        "other": {"task_id": r.task_id, "reason": r.reason},
    })
    await aflush_all()


def timeout_seconds() -> int:
    """TASK_TIMEOUT_MINUTES (new-api's, default 1440); 0 turns the timeout off."""
    return max(get_settings().TASK_TIMEOUT_MINUTES, 0) * 60


# -- management views -------------------------------------------------------------------------------


@dataclass
class MjFilter:
    user_id: int | None = None
    channel_id: int = 0
    mj_id: str = ""
    start_timestamp: int = 0
    end_timestamp: int = 0

    def conditions(self) -> list:
        conds = []
        if self.user_id is not None:
            conds.append(Midjourney.user_id == self.user_id)
        elif self.channel_id:
            conds.append(Midjourney.channel_id == self.channel_id)
        if self.mj_id:
            conds.append(Midjourney.mj_id == self.mj_id)
        if self.start_timestamp:
            conds.append(Midjourney.submit_time >= self.start_timestamp)
        if self.end_timestamp:
            conds.append(Midjourney.submit_time <= self.end_timestamp)
        return conds


@dataclass
class TaskFilter:
    user_id: int | None = None  # a user's own view
    channel_id: int = 0
    platform: str = ""
    task_id: str = ""
    action: str = ""
    status: str = ""
    start_timestamp: int = 0
    end_timestamp: int = 0

    def conditions(self) -> list:
        conds = []
        if self.user_id is not None:
            conds.append(Task.user_id == self.user_id)
        elif self.channel_id:
            conds.append(Task.channel_id == self.channel_id)
        for column, value in ((Task.platform, self.platform), (Task.task_id, self.task_id),
                              (Task.action, self.action), (Task.status, self.status)):
            if value:
                conds.append(column == value)
        if self.start_timestamp:
            conds.append(Task.submit_time >= self.start_timestamp)
        if self.end_timestamp:
            conds.append(Task.submit_time <= self.end_timestamp)
        return conds


def _page(s: Session, model: Any, conds: list, offset: int, limit: int) -> tuple[list[Any], int]:
    total = s.exec(select(func.count()).select_from(model).where(*conds)).one()
    rows = list(s.exec(select(model).where(*conds).order_by(model.id.desc()).offset(offset).limit(limit)))
    return rows, int(total)


def mj_page(f: MjFilter, offset: int, limit: int) -> tuple[list[dict[str, Any]], int]:
    with session_scope() as s:
        rows, total = _page(s, Midjourney, f.conditions(), offset, limit)
    items = []
    for row in rows:
        item = row.model_dump(exclude={"token_id", "billing_channel_id"})
        if options.get_bool("MjForwardUrlEnabled") and row.image_url:
            item["image_url"] = image_proxy_url(row.mj_id)
        if f.user_id is not None:
            item.pop("channel_id", None)  # new-api omits the channel from a user's own view
        items.append(item)
    return items, total


def task_page(f: TaskFilter, offset: int, limit: int) -> tuple[list[dict[str, Any]], int]:
    with session_scope() as s:
        rows, total = _page(s, Task, f.conditions(), offset, limit)
    items = []
    for row in rows:
        item = row.model_dump(exclude={"private_data"})
        result_url = (row.private_data or {}).get("result_url", "")
        if result_url:
            item["result_url"] = result_url
        if f.user_id is not None:
            item.pop("channel_id", None)  # new-api omits the channel from a user's own view
        items.append(item)
    return items, total


# -- the signed image proxy URL ---------------------------------------------------------------------


def image_signature(mj_id: str) -> str:
    """HMAC(SESSION_SECRET, "mjimg:" + id)[:16], as new-api signs `/mj/image/:id` (the route needs no
    key, so without a signature any id could be read)."""
    secret = get_settings().session_secret.encode()
    return hmac.new(secret, b"mjimg:" + mj_id.encode(), hashlib.sha256).hexdigest()[:16]


def image_proxy_url(mj_id: str) -> str:
    base = (options.get("ServerAddress") or "").rstrip("/")
    return f"{base}/mj/image/{mj_id}?sig={image_signature(mj_id)}"
