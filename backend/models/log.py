from sqlalchemy import BigInteger, Column, Text
from sqlmodel import Field, SQLModel

from backend.models.ids import no_id_reuse


class Log(SQLModel, table=True):
    __tablename__ = "logs"
    __table_args__ = no_id_reuse()

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(default=0, index=True)
    created_at: int = Field(default=0, sa_type=BigInteger, index=True)
    type: int = Field(default=0, index=True)
    content: str = Field(default="", sa_column=Column(Text, nullable=True))
    username: str = Field(default="", max_length=64, index=True)
    token_name: str = Field(default="", max_length=64, index=True)
    model_name: str = Field(default="", max_length=255, index=True)
    quota: int = Field(default=0, sa_type=BigInteger)
    prompt_tokens: int = Field(default=0)
    completion_tokens: int = Field(default=0)
    use_time: int = Field(default=0)
    is_stream: bool = Field(default=False)
    channel_id: int = Field(default=0, index=True)
    token_id: int = Field(default=0, index=True)
    group: str = Field(default="", max_length=64, index=True)
    ip: str = Field(default="", max_length=64, index=True)
    other: str = Field(default="", sa_column=Column(Text, nullable=True))
