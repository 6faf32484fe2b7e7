from sqlalchemy import BigInteger, Column, Index, Text
from sqlmodel import Field, SQLModel

from backend.models.ids import no_id_reuse


class Log(SQLModel, table=True):
    __tablename__ = "logs"
    # new-api's composite indexes (model/log.go): the console's pages (newest first, per user or in a
    # time range), its stats (type in a time range) and the username+model filters stay index scans
    # at millions of rows. Existing databases gain them through alembic revision 0003_ops.
    __table_args__ = (
        Index("idx_created_at_id", "id", "created_at"),
        Index("idx_user_id_id", "user_id", "id"),
        Index("idx_created_at_type", "created_at", "type"),
        Index("index_username_model_name", "username", "model_name"),
        no_id_reuse(),
    )

    id: int = Field(default=None, primary_key=True)
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
