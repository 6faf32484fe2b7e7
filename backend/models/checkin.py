"""Daily check-ins (`checkins`, new-api's table): one row per user and day, the unique pair being
what makes a second check-in of the same day fail, however many requests race."""

from sqlalchemy import BigInteger, UniqueConstraint
from sqlmodel import Field, SQLModel

from backend.models.ids import no_id_reuse


class Checkin(SQLModel, table=True):
    __tablename__ = "checkins"
    __table_args__ = (UniqueConstraint("user_id", "checkin_date", name="idx_user_checkin_date"), no_id_reuse())

    id: int = Field(default=None, primary_key=True)
    user_id: int = Field(nullable=False)
    checkin_date: str = Field(max_length=10, nullable=False)  # YYYY-MM-DD
    quota_awarded: int = Field(default=0, sa_type=BigInteger, nullable=False)
    created_at: int = Field(default=0, sa_type=BigInteger)
