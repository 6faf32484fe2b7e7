from datetime import datetime

from sqlalchemy import BigInteger, Column, DateTime
from sqlmodel import Field, SQLModel

from backend.models.ids import no_id_reuse


class Redemption(SQLModel, table=True):
    __tablename__ = "redemptions"
    __table_args__ = no_id_reuse()

    id: int = Field(default=None, primary_key=True)
    user_id: int = Field(default=0)
    key: str = Field(default="", max_length=32, unique=True, index=True)
    status: int = Field(default=1)
    name: str = Field(default="", max_length=64, index=True)
    quota: int = Field(default=100, sa_type=BigInteger)
    created_time: int = Field(default=0, sa_type=BigInteger)
    redeemed_time: int = Field(default=0, sa_type=BigInteger)
    used_user_id: int = Field(default=0)
    expired_time: int = Field(default=0, sa_type=BigInteger)
    deleted_at: datetime | None = Field(default=None, sa_column=Column(DateTime, index=True, nullable=True))
