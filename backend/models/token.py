from datetime import datetime

from sqlalchemy import BigInteger, Column, DateTime
from sqlmodel import Field, SQLModel

from backend.models.ids import no_id_reuse


class Token(SQLModel, table=True):
    """An API key. `key` is stored without the `sk-` prefix."""

    __tablename__ = "tokens"
    __table_args__ = no_id_reuse()

    id: int = Field(default=None, primary_key=True)
    user_id: int = Field(default=0, index=True)
    key: str = Field(default="", max_length=48, unique=True, index=True)
    status: int = Field(default=1)
    name: str = Field(default="", max_length=50, index=True)
    created_time: int = Field(default=0, sa_type=BigInteger)
    accessed_time: int = Field(default=0, sa_type=BigInteger)
    expired_time: int = Field(default=-1, sa_type=BigInteger)
    remain_quota: int = Field(default=0, sa_type=BigInteger)
    unlimited_quota: bool = Field(default=False)
    model_limits_enabled: bool = Field(default=False)
    model_limits: str = Field(default="", max_length=1024)
    allow_ips: str | None = Field(default="", max_length=1024)
    used_quota: int = Field(default=0, sa_type=BigInteger)
    group: str = Field(default="", max_length=64)
    deleted_at: datetime | None = Field(default=None, sa_column=Column(DateTime, index=True, nullable=True))
