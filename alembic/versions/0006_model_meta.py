"""Model metadata, vendors and prefill groups: new-api's `models`, `vendors`, `prefill_groups`.

Revision ID: 0006_model_meta
Revises: 0005_money
Create Date: 2026-12-07
"""

from alembic import op

from backend.schema import ensure_schema, ensure_sqlite_autoincrement

revision = "0006_model_meta"
down_revision = "0005_money"
branch_labels = None
depends_on = None


def upgrade() -> None:
    ensure_schema(op.get_bind())
    ensure_sqlite_autoincrement(op.get_bind())


def downgrade() -> None:
    raise RuntimeError("this revision cannot be downgraded; restore a backup instead")
