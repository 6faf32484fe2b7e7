from datetime import datetime

from sqlalchemy import BigInteger, Column, DateTime, Text
from sqlmodel import Field, SQLModel

from backend.models.ids import no_id_reuse


class User(SQLModel, table=True):
    __tablename__ = "users"
    __table_args__ = no_id_reuse()

    id: int = Field(default=None, primary_key=True)
    username: str = Field(default="", max_length=20, unique=True, index=True)
    password: str = Field(default="", max_length=255)
    display_name: str = Field(default="", max_length=20, index=True)
    role: int = Field(default=1)
    status: int = Field(default=1)
    email: str = Field(default="", max_length=50, index=True)
    github_id: str = Field(default="", max_length=64, index=True)
    oidc_id: str = Field(default="", max_length=64, index=True)
    wechat_id: str = Field(default="", max_length=64, index=True)
    telegram_id: str = Field(default="", max_length=64, index=True)
    linux_do_id: str = Field(default="", max_length=64, index=True)
    discord_id: str = Field(default="", max_length=64, index=True)
    access_token: str | None = Field(default=None, max_length=32, unique=True, index=True)
    quota: int = Field(default=0, sa_type=BigInteger)
    used_quota: int = Field(default=0, sa_type=BigInteger)
    request_count: int = Field(default=0)
    group: str = Field(default="default", max_length=64)
    aff_code: str | None = Field(default=None, max_length=32, unique=True, index=True)
    aff_count: int = Field(default=0)
    aff_quota: int = Field(default=0, sa_type=BigInteger)
    aff_history_quota: int = Field(default=0, sa_column=Column("aff_history", BigInteger, default=0))
    inviter_id: int = Field(default=0, index=True)
    # new-api: only users invited after invite rebates existed earn their inviter a rebate.
    invite_rebate_eligible: bool = Field(default=False)
    deleted_at: datetime | None = Field(default=None, sa_column=Column(DateTime, index=True, nullable=True))
    setting: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    remark: str | None = Field(default=None, max_length=255)
    stripe_customer: str | None = Field(default=None, max_length=64)
