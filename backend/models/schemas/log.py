"""Usage log rows on the wire. A user's own rows hide the channel (0), fold the id to id % 1024
and drop `other.admin_info`; an admin's page adds the channel's name."""

from __future__ import annotations

from pydantic import BaseModel

from backend.models.schemas.base import Page


class LogRow(BaseModel):
    id: int | None
    user_id: int | None
    created_at: int | None
    type: int | None
    content: str
    username: str | None
    token_name: str | None
    model_name: str | None
    quota: int | None
    prompt_tokens: int | None
    completion_tokens: int | None
    use_time: int | None
    is_stream: bool | None
    channel: int
    token_id: int | None
    group: str | None
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
