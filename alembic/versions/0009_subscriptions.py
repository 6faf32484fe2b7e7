"""subscriptions: `subscription_plans`, `subscription_orders`, `user_subscriptions` (new-api's names)
and `subscription_quota_grants` (one row per subscription and period).

Revision ID: 0009_subscriptions
Revises: 0008_ops
Create Date: 2026-12-07
"""

from alembic import op

from backend.schema import ensure_schema

revision = "0009_subscriptions"
down_revision = "0008_ops"
branch_labels = None
depends_on = None

TABLES = ["subscription_plans", "subscription_orders", "user_subscriptions", "subscription_quota_grants"]


def upgrade() -> None:
    ensure_schema(op.get_bind(), tables=TABLES)


def downgrade() -> None:
    for table in reversed(TABLES):
        op.drop_table(table)
