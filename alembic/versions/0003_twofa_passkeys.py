"""Account security: new-api's `two_fas`, `two_fa_backup_codes` and `passkey_credentials`, and the
secure-verification marks of a login session (`user_sessions.verified_at`, `passkey_ready_at`).

A new-api database that already has the three tables keeps them and their rows.

Revision ID: 0003_twofa_passkeys
Revises: 0002
Create Date: 2026-12-12
"""

from alembic import op

from backend.schema import ensure_schema, ensure_sqlite_autoincrement

revision = "0003_twofa_passkeys"
down_revision = "0002"
branch_labels = None
depends_on = None

TABLES = ["two_fas", "two_fa_backup_codes", "passkey_credentials", "user_sessions"]


def upgrade() -> None:
    ensure_schema(op.get_bind(), TABLES)
    ensure_sqlite_autoincrement(op.get_bind(), TABLES)


def downgrade() -> None:
    raise RuntimeError("this revision cannot be downgraded; restore a backup instead")
