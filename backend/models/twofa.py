"""new-api's two-factor tables, same names and columns (`model/twofa.go`): `two_fas` holds a user's
TOTP secret and failure/lock counters, `two_fa_backup_codes` the bcrypt hashes of one-time backup
codes. A row of `two_fas` with `is_enabled` false is a setup not yet confirmed with a code."""

from datetime import datetime

from sqlalchemy import Column, DateTime
from sqlmodel import Field, SQLModel

from backend.models.ids import no_id_reuse


class TwoFA(SQLModel, table=True):
    __tablename__ = "two_fas"
    __table_args__ = no_id_reuse()

    id: int = Field(default=None, primary_key=True)
    user_id: int = Field(unique=True, index=True)
    # new-api stores the base32 secret as is; newapi-py stores "enc:v1:..." when CRYPTO_SECRET is
    # set (backend/services/twofa_secret.py) and still reads new-api's plain values.
    secret: str = Field(default="", max_length=255)
    is_enabled: bool = Field(default=False)
    failed_attempts: int = Field(default=0)
    locked_until: datetime | None = Field(default=None, sa_column=Column(DateTime, nullable=True))
    last_used_at: datetime | None = Field(default=None, sa_column=Column(DateTime, nullable=True))
    created_at: datetime | None = Field(default=None, sa_column=Column(DateTime, nullable=True))
    updated_at: datetime | None = Field(default=None, sa_column=Column(DateTime, nullable=True))
    deleted_at: datetime | None = Field(default=None, sa_column=Column(DateTime, index=True, nullable=True))


class TwoFABackupCode(SQLModel, table=True):
    __tablename__ = "two_fa_backup_codes"
    __table_args__ = no_id_reuse()

    id: int = Field(default=None, primary_key=True)
    user_id: int = Field(index=True)
    code_hash: str = Field(default="", max_length=255)
    is_used: bool = Field(default=False)
    used_at: datetime | None = Field(default=None, sa_column=Column(DateTime, nullable=True))
    created_at: datetime | None = Field(default=None, sa_column=Column(DateTime, nullable=True))
    deleted_at: datetime | None = Field(default=None, sa_column=Column(DateTime, index=True, nullable=True))
