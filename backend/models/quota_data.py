from sqlalchemy import BigInteger, Index
from sqlmodel import Field, SQLModel


class QuotaData(SQLModel, table=True):
    """Per user, model and hour: calls, tokens and quota (the dashboard charts read this)."""

    __tablename__ = "quota_data"
    # One row per (user, model, hour), however many instances flush that hour at once: the flush
    # upserts on this key (services/quota_data.py). The user's charts read (user, time range).
    __table_args__ = (
        Index("uidx_qdt_user_model_hour", "user_id", "model_name", "created_at", unique=True),
        Index("idx_qdt_user_created", "user_id", "created_at"),
        Index("idx_qdt_model_user_name", "model_name", "username"),
    )

    id: int = Field(default=None, primary_key=True)
    user_id: int = Field(default=0, index=True)
    username: str = Field(default="", max_length=64, index=True)
    model_name: str = Field(default="", max_length=255, index=True)
    created_at: int = Field(default=0, sa_type=BigInteger, index=True)
    token_used: int = Field(default=0, sa_type=BigInteger)
    count: int = Field(default=0)
    quota: int = Field(default=0, sa_type=BigInteger)
