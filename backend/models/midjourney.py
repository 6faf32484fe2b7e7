"""Midjourney-Proxy jobs (`midjourneys`, new-api's table and columns, so an existing database opens
in place). `mj_id` is the upstream's task id, which callers use; every read is scoped by `user_id`."""

from sqlalchemy import BigInteger, Column, Text
from sqlmodel import Field, SQLModel

from backend.models.ids import no_id_reuse


class Midjourney(SQLModel, table=True):
    __tablename__ = "midjourneys"
    __table_args__ = no_id_reuse()

    id: int = Field(default=None, primary_key=True)
    code: int = Field(default=0)
    user_id: int = Field(default=0, index=True)
    action: str = Field(default="", max_length=40, index=True)
    mj_id: str = Field(default="", max_length=191, index=True)
    prompt: str = Field(default="", sa_column=Column(Text, nullable=True))
    prompt_en: str = Field(default="", sa_column=Column(Text, nullable=True))
    description: str = Field(default="", sa_column=Column(Text, nullable=True))
    state: str = Field(default="", sa_column=Column(Text, nullable=True))
    submit_time: int = Field(default=0, sa_type=BigInteger, index=True)
    start_time: int = Field(default=0, sa_type=BigInteger, index=True)
    finish_time: int = Field(default=0, sa_type=BigInteger, index=True)
    image_url: str = Field(default="", sa_column=Column(Text, nullable=True))
    video_url: str = Field(default="", sa_column=Column(Text, nullable=True))
    video_urls: str = Field(default="", sa_column=Column(Text, nullable=True))
    status: str = Field(default="", max_length=20, index=True)
    progress: str = Field(default="", max_length=30, index=True)
    fail_reason: str = Field(default="", sa_column=Column(Text, nullable=True))
    channel_id: int = Field(default=0)
    quota: int = Field(default=0, sa_type=BigInteger)
    token_id: int = Field(default=0)
    billing_channel_id: int = Field(default=0)
    buttons: str = Field(default="", sa_column=Column(Text, nullable=True))
    properties: str = Field(default="", sa_column=Column(Text, nullable=True))
