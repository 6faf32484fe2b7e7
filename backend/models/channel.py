from sqlalchemy import BigInteger, Column, Float, String, Text
from sqlmodel import Field, SQLModel

from backend.models.ids import no_id_reuse


class Channel(SQLModel, table=True):
    """An upstream provider account. `key` may hold several keys, one per line."""

    __tablename__ = "channels"
    __table_args__ = no_id_reuse()

    id: int = Field(default=None, primary_key=True)
    type: int = Field(default=0)
    key: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    # GORM names Go's `OpenAIOrganization` field "open_ai_organization"; keep that column name.
    openai_organization: str | None = Field(
        default=None, sa_column=Column("open_ai_organization", String(255), nullable=True)
    )
    test_model: str | None = Field(default=None, max_length=255)
    status: int = Field(default=1)
    name: str = Field(default="", max_length=255, index=True)
    weight: int | None = Field(default=0)
    created_time: int = Field(default=0, sa_type=BigInteger)
    test_time: int = Field(default=0, sa_type=BigInteger)
    response_time: int = Field(default=0)
    base_url: str | None = Field(default="", max_length=255)
    other: str | None = Field(default="", sa_column=Column(Text, nullable=True))
    balance: float = Field(default=0, sa_column=Column(Float, default=0))
    balance_updated_time: int = Field(default=0, sa_type=BigInteger)
    models: str = Field(default="", sa_column=Column(Text, nullable=True))
    group: str = Field(default="default", max_length=64)
    used_quota: int = Field(default=0, sa_type=BigInteger)
    model_mapping: str | None = Field(default="", sa_column=Column(Text, nullable=True))
    status_code_mapping: str | None = Field(default="", max_length=1024)
    priority: int | None = Field(default=0, sa_type=BigInteger)
    auto_ban: int | None = Field(default=1)
    other_info: str | None = Field(default="", sa_column=Column(Text, nullable=True))
    tag: str | None = Field(default=None, max_length=255, index=True)
    setting: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    param_override: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    header_override: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    remark: str | None = Field(default=None, max_length=255)
    channel_info: str | None = Field(default=None, sa_column=Column(Text, nullable=True))  # multi-key state (JSON)
    other_settings: str | None = Field(default=None, sa_column=Column("settings", Text, nullable=True))
