from sqlalchemy import BigInteger
from sqlmodel import Field, SQLModel


class Ability(SQLModel, table=True):
    """The routing index: one row per (group, model, channel), rebuilt on every channel change."""

    __tablename__ = "abilities"

    group: str = Field(primary_key=True, max_length=64)
    model: str = Field(primary_key=True, max_length=255)
    channel_id: int = Field(primary_key=True, index=True)
    enabled: bool = Field(default=True)
    priority: int | None = Field(default=0, sa_type=BigInteger, index=True)
    weight: int = Field(default=0, index=True)
    tag: str | None = Field(default=None, max_length=255, index=True)
