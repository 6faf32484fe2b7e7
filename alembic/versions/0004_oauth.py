"""Social and external logins: `custom_oauth_providers`, `user_oauth_bindings` (new-api's tables)
and `auth_nonces` (single-use OAuth states and Telegram bot-login nonces without Redis).

Revision ID: 0004_oauth
Revises: 0003_twofa_passkeys
Create Date: 2026-12-12
"""

from alembic import op

from backend.schema import ensure_schema

revision = "0004_oauth"
down_revision = "0003_twofa_passkeys"
branch_labels = None
depends_on = None


def upgrade() -> None:
    ensure_schema(op.get_bind(), tables=["custom_oauth_providers", "user_oauth_bindings", "auth_nonces"])


def downgrade() -> None:
    raise RuntimeError("this revision cannot be downgraded; restore a backup instead")
