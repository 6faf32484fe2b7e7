"""Server-side login sessions (`user_sessions`), and no id reuse on SQLite.

An SQLite database created before the identity tables said AUTOINCREMENT gets them rebuilt with it
(rows kept), so a deleted user's id, and what still names it, never passes to a new account.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-05
"""

from alembic import op

from backend.schema import ensure_schema, ensure_sqlite_autoincrement

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    ensure_schema(op.get_bind())
    ensure_sqlite_autoincrement(op.get_bind())


def downgrade() -> None:
    raise RuntimeError("this revision cannot be downgraded; restore a backup instead")
