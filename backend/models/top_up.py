"""Orders of online top-ups (`top_ups`), as new-api lays them out.

`money` stays new-api's double column so an existing database opens in place; the gateway computes
it with Decimal and stores it rounded to cents, and credits are computed from the stored order.
"""

from sqlalchemy import BigInteger, Column, Float
from sqlmodel import Field, SQLModel

from backend.models.ids import no_id_reuse


class TopUp(SQLModel, table=True):
    __tablename__ = "top_ups"
    __table_args__ = no_id_reuse()

    id: int = Field(default=None, primary_key=True)
    user_id: int = Field(default=0, index=True)
    amount: int = Field(default=0, sa_type=BigInteger)
    money: float = Field(default=0, sa_column=Column(Float, default=0))
    trade_no: str = Field(default="", max_length=255, unique=True, index=True)
    payment_method: str = Field(default="", max_length=50)
    payment_provider: str = Field(default="", max_length=50)
    create_time: int = Field(default=0, sa_type=BigInteger)
    complete_time: int = Field(default=0, sa_type=BigInteger)
    status: str = Field(default="pending", max_length=32)
