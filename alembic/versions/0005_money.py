"""Payments and check-ins: `top_ups.payment_provider`, the `checkins` table (new-api's names).

Revision ID: 0005_money
Revises: 0004_oauth
Create Date: 2026-12-06
"""

from alembic import op

from backend.schema import ensure_schema, ensure_sqlite_autoincrement

revision = "0005_money"
down_revision = "0004_oauth"
branch_labels = None
depends_on = None


def upgrade() -> None:
    ensure_schema(op.get_bind())
    ensure_sqlite_autoincrement(op.get_bind())


def downgrade() -> None:
    raise RuntimeError("this revision cannot be downgraded; restore a backup instead")
