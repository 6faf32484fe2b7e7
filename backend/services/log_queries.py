"""The read side of `logs` (on LOG_SQL_DSN's engine): filtered pages, stats, search, pruning.

Admins see every column. A user sees only their own rows, without the channel and without
`other.admin_info`, and with row ids folded to id % 1024 like new-api (ids reveal traffic volume).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, func, or_
from sqlmodel import Session, col, select

from backend.cache import MAX_KEY_CHARS
from backend.db import get_log_engine, session_scope
from backend.models import Channel, Log, Token
from backend.models.enums import LogType
from backend.models.schemas.log import AdminLogRow, LogRow, LogStat
from backend.services import keywords
from backend.services.paging import page_of

SEARCH_LIMIT = 100


@dataclass
class LogFilter:
    type: int = 0
    start_timestamp: int = 0
    end_timestamp: int = 0
    model_name: str = ""
    username: str = ""
    token_name: str = ""
    channel: int = 0
    group: str = ""
    user_id: int | None = None  # set for a user's own view
    token_id: int | None = None

    def conditions(self) -> list:
        conds = []
        if self.user_id is not None:
            conds.append(col(Log.user_id) == self.user_id)
        if self.token_id is not None:
            conds.append(col(Log.token_id) == self.token_id)
        if self.type:
            conds.append(col(Log.type) == self.type)
        if self.start_timestamp:
            conds.append(col(Log.created_at) >= self.start_timestamp)
        if self.end_timestamp:
            conds.append(col(Log.created_at) <= self.end_timestamp)
        if self.model_name:
            conds.append(col(Log.model_name).contains(self.model_name, autoescape=True))
        if self.username and self.user_id is None:
            conds.append(col(Log.username) == self.username)
        if self.token_name:
            conds.append(col(Log.token_name) == self.token_name)
        if self.channel and self.user_id is None:
            conds.append(col(Log.channel_id) == self.channel)
        if self.group:
            conds.append(col(Log.group) == self.group)
        return conds


def _other(raw: str, admin: bool) -> str:
    if admin or not raw:
        return raw or ""
    try:
        data = json.loads(raw)
    except ValueError:
        return ""
    if isinstance(data, dict):
        data.pop("admin_info", None)
        return json.dumps(data)
    return ""


def _fields(row: Log, admin: bool) -> dict[str, Any]:
    return {
        "id": row.id if admin else (row.id or 0) % 1024,
        "user_id": row.user_id,
        "created_at": row.created_at,
        "type": row.type,
        "content": row.content or "",
        "username": row.username,
        "token_name": row.token_name,
        "model_name": row.model_name,
        "quota": row.quota,
        "prompt_tokens": row.prompt_tokens,
        "completion_tokens": row.completion_tokens,
        "use_time": row.use_time,
        "is_stream": row.is_stream,
        "channel": row.channel_id if admin else 0,
        "token_id": row.token_id,
        "group": row.group,
        "ip": row.ip,
        "other": _other(row.other, admin),
    }


def view(row: Log, *, admin: bool) -> LogRow:
    return LogRow(**_fields(row, admin))


def _session() -> Session:
    return Session(get_log_engine(), expire_on_commit=False)


def _channel_names(ids: set[int]) -> dict[int, str]:
    """Channel names live in the main database, which may not be the logs database."""
    if not ids:
        return {}
    with session_scope() as s:
        return dict(s.exec(select(Channel.id, Channel.name).where(col(Channel.id).in_(ids))).all())


def _page_rows(f: LogFilter, p: int, page_size: int) -> tuple[list[Log], int]:
    with _session() as s:
        rows, total = page_of(s, Log, f.conditions(), p, page_size)
    return list(rows), int(total)


def admin_page(f: LogFilter, p: int, page_size: int) -> tuple[list[AdminLogRow], int]:
    """`GET /api/log/`: every column, and each row's channel name."""
    rows, total = _page_rows(f, p, page_size)
    names = _channel_names({r.channel_id for r in rows if r.channel_id})
    return [AdminLogRow(**_fields(r, True), channel_name=names.get(r.channel_id, "")) for r in rows], total


def page(f: LogFilter, p: int, page_size: int, *, admin: bool) -> tuple[list[LogRow], int]:
    """A page as an admin (`admin_page`) or as the rows' owner sees it."""
    if admin:
        named, total = admin_page(f, p, page_size)
        return list[LogRow](named), total
    rows, total = _page_rows(f, p, page_size)
    return [view(r, admin=False) for r in rows], total


def _now() -> int:
    return int(time.time())


def stat(f: LogFilter, now: int | None = None) -> LogStat:
    """Quota spent by consume rows matching the filter, plus requests and tokens in the last 60 s."""
    now = _now() if now is None else now
    f = LogFilter(**{**f.__dict__, "type": int(LogType.CONSUME)})
    conds = f.conditions()
    recent = [*conds, col(Log.created_at) >= now - 60]
    with _session() as s:
        quota = s.exec(select(func.coalesce(func.sum(Log.quota), 0)).where(*conds)).one()
        rpm, tpm = s.exec(
            select(func.count(), func.coalesce(func.sum(Log.prompt_tokens + Log.completion_tokens), 0)).where(*recent)
        ).one()
    return LogStat(quota=int(quota), rpm=int(rpm), tpm=int(tpm))


def search(keyword: str, *, user_id: int | None, admin: bool) -> list[LogRow]:
    """Newest matching rows (at most 100): keyword against model, token name, content, or a type number."""
    conds = [] if user_id is None else [col(Log.user_id) == user_id]
    if keyword:
        columns = [col(Log.model_name), col(Log.token_name), col(Log.content)] + ([col(Log.username)] if admin else [])
        match = [column.contains(keyword, autoescape=True) for column in columns]
        if (log_type := keywords.as_id(keyword)) is not None:
            match.append(col(Log.type) == log_type)
        conds.append(or_(*match))
    with _session() as s:
        rows = s.exec(select(Log).where(*conds).order_by(col(Log.id).desc()).limit(SEARCH_LIMIT)).all()
    return [view(r, admin=admin) for r in rows]


DELETE_BATCH = 5_000


def delete_before(target_timestamp: int, batch: int = DELETE_BATCH) -> int:
    """Delete rows created before `target_timestamp`; returns how many. In batches of ids, each its
    own short transaction: pruning millions of rows never holds one long lock over the table the
    relay appends to (found through the created_at index)."""
    removed = 0
    while True:
        with _session() as s:
            ids = list(s.exec(select(col(Log.id)).where(col(Log.created_at) < target_timestamp).order_by(col(Log.id))
                              .limit(batch)).all())
            if not ids:
                return removed
            removed += s.exec(delete(Log).where(col(Log.id).in_(ids))).rowcount or 0
            s.commit()


def token_logs(key: str) -> list[LogRow]:
    """Public lookup by API key: that token's newest rows, in the user-visible form. The token is
    read in a session closed before the logs are queried: one connection at a time."""
    key = key.strip().removeprefix("sk-").split("-", 1)[0]
    if not key or len(key) > MAX_KEY_CHARS:
        return []
    with session_scope() as main:
        token = main.exec(select(Token).where(col(Token.key) == key, col(Token.deleted_at).is_(None))).first()
    if token is None:
        return []
    with _session() as s:
        rows = s.exec(
            select(Log).where(col(Log.token_id) == token.id, col(Log.user_id) == token.user_id)
            .order_by(col(Log.id).desc()).limit(SEARCH_LIMIT)
        ).all()
    return [view(r, admin=False) for r in rows]
