from sqlalchemy import BigInteger
from sqlmodel import Field, SQLModel


class Setup(SQLModel, table=True):
    """A row here means the instance has been initialised (root created)."""

    __tablename__ = "setups"

    id: int = Field(default=None, primary_key=True)
    version: str = Field(default="", max_length=50)
    initialized_at: int = Field(default=0, sa_type=BigInteger)
