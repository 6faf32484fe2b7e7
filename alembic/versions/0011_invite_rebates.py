"""Invite rebates on top-ups: `invite_rebates` and `users.invite_rebate_eligible` (new-api's).

Revision ID: 0011_invite_rebates
Revises: 0010_tasks
Create Date: 2026-12-05
"""

from alembic import op

from backend.schema import ensure_schema, ensure_sqlite_autoincrement

revision = "0011_invite_rebates"
down_revision = "0010_tasks"
branch_labels = None
depends_on = None


def upgrade() -> None:
    ensure_schema(op.get_bind())
    ensure_sqlite_autoincrement(op.get_bind())


def downgrade() -> None:
    raise RuntimeError("this revision cannot be downgraded; restore a backup instead")
