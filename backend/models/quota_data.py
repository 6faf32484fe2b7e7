from sqlalchemy import BigInteger
from sqlmodel import Field, SQLModel


class QuotaData(SQLModel, table=True):
    """Per user, model and hour: calls, tokens and quota (the dashboard charts read this)."""

    __tablename__ = "quota_data"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(default=0, index=True)
    username: str = Field(default="", max_length=64, index=True)
    model_name: str = Field(default="", max_length=255, index=True)
    created_at: int = Field(default=0, sa_type=BigInteger, index=True)
    token_used: int = Field(default=0, sa_type=BigInteger)
    count: int = Field(default=0)
    quota: int = Field(default=0, sa_type=BigInteger)
