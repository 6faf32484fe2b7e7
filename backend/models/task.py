"""Asynchronous tasks other than Midjourney: Suno and video (`tasks`, new-api's table and columns).

`task_id` is the public id (`task_…`) handed to the caller; the upstream's own id lives in
`private_data.upstream_task_id` with the billing context, and `private_data` is never returned.
"""

from typing import Any

from sqlalchemy import JSON, BigInteger, Column, Integer, Text
from sqlmodel import Field, SQLModel

from backend.models.ids import no_id_reuse

NOT_START = "NOT_START"
SUBMITTED = "SUBMITTED"
QUEUED = "QUEUED"
IN_PROGRESS = "IN_PROGRESS"
FAILURE = "FAILURE"
SUCCESS = "SUCCESS"
UNKNOWN = "UNKNOWN"
FINISHED = frozenset({FAILURE, SUCCESS})


class Task(SQLModel, table=True):
    __tablename__ = "tasks"
    __table_args__ = no_id_reuse()

    # BIGINT like new-api's int64, but INTEGER on SQLite: only an INTEGER key can be AUTOINCREMENT there
    id: int = Field(default=None, primary_key=True, sa_type=BigInteger().with_variant(Integer, "sqlite"))
    created_at: int = Field(default=0, sa_type=BigInteger, index=True)
    updated_at: int = Field(default=0, sa_type=BigInteger)
    task_id: str = Field(default="", max_length=191, index=True)
    platform: str = Field(default="", max_length=30, index=True)
    user_id: int = Field(default=0, index=True)
    group: str = Field(default="", max_length=50)
    channel_id: int = Field(default=0, index=True)
    quota: int = Field(default=0, sa_type=BigInteger)
    action: str = Field(default="", max_length=40, index=True)
    status: str = Field(default="", max_length=20, index=True)
    fail_reason: str = Field(default="", sa_column=Column(Text, nullable=True))
    submit_time: int = Field(default=0, sa_type=BigInteger, index=True)
    start_time: int = Field(default=0, sa_type=BigInteger, index=True)
    finish_time: int = Field(default=0, sa_type=BigInteger, index=True)
    progress: str = Field(default="", max_length=20, index=True)
    properties: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    private_data: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    data: Any = Field(default=None, sa_column=Column(JSON, nullable=True))
