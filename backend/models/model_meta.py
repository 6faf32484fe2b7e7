"""Model metadata (`models`), vendors (`vendors`) and prefill groups (`prefill_groups`), laid out as
new-api lays them out. All three are soft-deleted (`deleted_at`, GORM's DeletedAt): a name is unique
among the rows not deleted, which the services check (the unique index new-api declares includes
`deleted_at`, and NULLs never collide, so the database cannot say it)."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, DateTime, Index, Text
from sqlmodel import Field, SQLModel

from backend.models.ids import no_id_reuse

NAME_RULE_EXACT, NAME_RULE_PREFIX, NAME_RULE_CONTAINS, NAME_RULE_SUFFIX = 0, 1, 2, 3


class ModelMeta(SQLModel, table=True):
    __tablename__ = "models"
    __table_args__ = (Index("uk_model_name_delete_at", "model_name", "deleted_at", unique=True), no_id_reuse())

    id: int = Field(default=None, primary_key=True)
    model_name: str = Field(max_length=128, nullable=False)
    description: str | None = Field(default="", sa_column=Column(Text))
    icon: str | None = Field(default="", max_length=128)
    tags: str | None = Field(default="", max_length=255)
    vendor_id: int | None = Field(default=0, index=True)
    endpoints: str | None = Field(default="", sa_column=Column(Text))
    status: int = Field(default=1)
    sync_official: int = Field(default=1)
    name_rule: int = Field(default=0)
    created_time: int = Field(default=0, sa_type=BigInteger)
    updated_time: int = Field(default=0, sa_type=BigInteger)
    deleted_at: datetime | None = Field(default=None, sa_column=Column(DateTime, index=True, nullable=True))


class Vendor(SQLModel, table=True):
    __tablename__ = "vendors"
    __table_args__ = (Index("uk_vendor_name_delete_at", "name", "deleted_at", unique=True), no_id_reuse())

    id: int = Field(default=None, primary_key=True)
    name: str = Field(max_length=128, nullable=False)
    description: str | None = Field(default="", sa_column=Column(Text))
    icon: str | None = Field(default="", max_length=128)
    status: int = Field(default=1)
    created_time: int = Field(default=0, sa_type=BigInteger)
    updated_time: int = Field(default=0, sa_type=BigInteger)
    deleted_at: datetime | None = Field(default=None, sa_column=Column(DateTime, index=True, nullable=True))


class PrefillGroup(SQLModel, table=True):
    __tablename__ = "prefill_groups"
    __table_args__ = (no_id_reuse(),)

    id: int = Field(default=None, primary_key=True)
    name: str = Field(max_length=64, nullable=False)
    type: str = Field(max_length=32, nullable=False, index=True)
    items: Any = Field(default=None, sa_column=Column(JSON, nullable=True))
    description: str | None = Field(default="", max_length=255)
    created_time: int = Field(default=0, sa_type=BigInteger)
    updated_time: int = Field(default=0, sa_type=BigInteger)
    deleted_at: datetime | None = Field(default=None, sa_column=Column(DateTime, index=True, nullable=True))
