"""Usage log rows on the wire. A user's own rows hide the channel (0), fold the id to id % 1024
and drop `other.admin_info`; an admin's page adds the channel's name."""

from __future__ import annotations

from pydantic import BaseModel

from backend.models.schemas.base import Page


class LogRow(BaseModel):
    id: int | None
    user_id: int
    created_at: int
    type: int
    content: str
    username: str
    token_name: str
    model_name: str
    quota: int
    prompt_tokens: int
    completion_tokens: int
    use_time: int
    is_stream: bool
    channel: int
    token_id: int
    group: str
    ip: str | None
    other: str


class AdminLogRow(LogRow):
    channel_name: str


class LogStat(BaseModel):
    """Quota of the matching consume rows; requests and tokens of the last 60 seconds."""

    quota: int
    rpm: int
    tpm: int


LogPage = Page[LogRow]
AdminLogPage = Page[AdminLogRow]
