"""Invite rebates already paid (`invite_rebates`, new-api's table): one row per top-up order, the
unique `top_up_id` being what keeps a rebate single however often a payment notice repeats."""

from sqlalchemy import BigInteger
from sqlmodel import Field, SQLModel

from backend.models.ids import no_id_reuse


class InviteRebate(SQLModel, table=True):
    __tablename__ = "invite_rebates"
    __table_args__ = (no_id_reuse(),)

    id: int | None = Field(default=None, primary_key=True)
    top_up_id: int = Field(nullable=False, unique=True)
    trade_no: str = Field(default="", max_length=255, index=True)
    invitee_id: int = Field(nullable=False, index=True)
    inviter_id: int = Field(nullable=False, index=True)
    quota: int = Field(default=0, sa_type=BigInteger)
    percent: float = Field(default=0)
    sequence: int = Field(default=0)
    created_at: int = Field(default=0, sa_type=BigInteger)
