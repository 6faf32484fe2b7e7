from sqlalchemy import Column, Text
from sqlmodel import Field, SQLModel


class Option(SQLModel, table=True):
    __tablename__ = "options"

    key: str = Field(primary_key=True, max_length=255)
    value: str = Field(default="", sa_column=Column(Text, nullable=True))
