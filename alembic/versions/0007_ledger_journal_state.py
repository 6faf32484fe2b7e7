"""ledger_journal_state: how far each process's ledger journal is in the database.

Revision ID: 0007_ledger_journal_state
Revises: 0006_model_meta
Create Date: 2026-12-05
"""

from alembic import op

from backend.schema import ensure_schema

revision = "0007_ledger_journal_state"
down_revision = "0006_model_meta"
branch_labels = None
depends_on = None


def upgrade() -> None:
    ensure_schema(op.get_bind(), tables=["ledger_journal_state"])


def downgrade() -> None:
    op.drop_table("ledger_journal_state")
