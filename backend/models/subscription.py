"""Subscription plans, their orders and users' subscriptions, with new-api's table and column names
(`subscription_plans`, `subscription_orders`, `user_subscriptions`), plus `subscription_quota_grants`:
one row per (subscription, period) whose unique pair is what makes a period's quota grant happen
once, however many gateway instances run the grant job at the same moment."""

from sqlalchemy import BigInteger, Column, Float, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from backend.models.ids import no_id_reuse


class SubscriptionPlan(SQLModel, table=True):
    __tablename__ = "subscription_plans"
    __table_args__ = no_id_reuse()

    id: int = Field(default=None, primary_key=True)
    title: str = Field(default="", max_length=128)
    subtitle: str = Field(default="", max_length=255)
    price_amount: float = Field(default=0, sa_column=Column(Float, default=0, nullable=False))
    currency: str = Field(default="USD", max_length=8)
    duration_unit: str = Field(default="month", max_length=16)
    duration_value: int = Field(default=1)
    custom_seconds: int = Field(default=0, sa_type=BigInteger)
    enabled: bool = Field(default=True)
    sort_order: int = Field(default=0)
    stripe_price_id: str = Field(default="", max_length=128)
    creem_product_id: str = Field(default="", max_length=128)
    max_purchase_per_user: int = Field(default=0)
    upgrade_group: str = Field(default="", max_length=64)
    total_amount: int = Field(default=0, sa_type=BigInteger)
    quota_reset_period: str = Field(default="never", max_length=16)
    quota_reset_custom_seconds: int = Field(default=0, sa_type=BigInteger)
    created_at: int = Field(default=0, sa_type=BigInteger)
    updated_at: int = Field(default=0, sa_type=BigInteger)


class SubscriptionOrder(SQLModel, table=True):
    __tablename__ = "subscription_orders"
    __table_args__ = no_id_reuse()

    id: int = Field(default=None, primary_key=True)
    user_id: int = Field(default=0, index=True)
    plan_id: int = Field(default=0, index=True)
    money: float = Field(default=0, sa_column=Column(Float, default=0))
    trade_no: str = Field(default="", max_length=255, unique=True, index=True)
    payment_method: str = Field(default="", max_length=50)
    status: str = Field(default="pending", max_length=32)
    create_time: int = Field(default=0, sa_type=BigInteger)
    complete_time: int = Field(default=0, sa_type=BigInteger)
    provider_payload: str = Field(default="", sa_column=Column(Text, nullable=True))


class UserSubscription(SQLModel, table=True):
    __tablename__ = "user_subscriptions"
    __table_args__ = no_id_reuse()

    id: int = Field(default=None, primary_key=True)
    user_id: int = Field(default=0, index=True)
    plan_id: int = Field(default=0, index=True)
    amount_total: int = Field(default=0, sa_type=BigInteger)
    amount_used: int = Field(default=0, sa_type=BigInteger)
    start_time: int = Field(default=0, sa_type=BigInteger)
    end_time: int = Field(default=0, sa_type=BigInteger, index=True)
    status: str = Field(default="active", max_length=32, index=True)
    source: str = Field(default="order", max_length=32)
    last_reset_time: int = Field(default=0, sa_type=BigInteger)
    next_reset_time: int = Field(default=0, sa_type=BigInteger, index=True)
    upgrade_group: str = Field(default="", max_length=64)
    prev_user_group: str = Field(default="", max_length=64)
    created_at: int = Field(default=0, sa_type=BigInteger)
    updated_at: int = Field(default=0, sa_type=BigInteger)


class SubscriptionQuotaGrant(SQLModel, table=True):
    __tablename__ = "subscription_quota_grants"
    __table_args__ = (UniqueConstraint("user_subscription_id", "period", name="idx_subscription_period"), no_id_reuse())

    id: int = Field(default=None, primary_key=True)
    user_subscription_id: int = Field(nullable=False)
    user_id: int = Field(default=0, index=True)
    period: int = Field(nullable=False)  # 0 = the purchase, k = the k-th reset period after it
    quota: int = Field(default=0, sa_type=BigInteger)
    created_at: int = Field(default=0, sa_type=BigInteger)
