"""The console's log indexes (new-api's composite ones) and one quota_data row per user, model and hour.

Duplicate quota_data rows (several instances flushing the same new hour at once) are merged into
one, counters summed, before the unique key goes on. The logs table on LOG_SQL_DSN gets the same
indexes from `backend.migrate`.

Revision ID: 0008_ops
Revises: 0007_ledger_journal_state
Create Date: 2026-12-04
"""

from alembic import op

from backend.schema import ensure_indexes, merge_quota_data_duplicates

revision = "0008_ops"
down_revision = "0007_ledger_journal_state"
branch_labels = None
depends_on = None


def upgrade() -> None:
    conn = op.get_bind()
    merge_quota_data_duplicates(conn)
    ensure_indexes(conn, tables=["logs", "quota_data"])


def downgrade() -> None:
    raise RuntimeError("this revision cannot be downgraded; restore a backup instead")
