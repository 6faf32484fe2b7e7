"""new-api schema: every table, or the columns an existing One API / new-api database lacks.

Revision ID: 0001
Revises:
Create Date: 2026-11-28
"""

from alembic import op

from backend.schema import ensure_schema

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    ensure_schema(op.get_bind())


def downgrade() -> None:
    raise RuntimeError("the initial schema cannot be downgraded; restore a backup instead")
