"""Asynchronous task relays: new-api's `midjourneys` and `tasks` tables.

Revision ID: 0010_tasks
Revises: 0009_subscriptions
Create Date: 2026-12-04
"""

from alembic import op

from backend.schema import ensure_schema, ensure_sqlite_autoincrement

revision = "0010_tasks"
down_revision = "0009_subscriptions"
branch_labels = None
depends_on = None


def upgrade() -> None:
    ensure_schema(op.get_bind())
    ensure_sqlite_autoincrement(op.get_bind())


def downgrade() -> None:
    raise RuntimeError("this revision cannot be downgraded; restore a backup instead")
