"""new-api's `passkey_credentials` (`model/passkey.go`): one WebAuthn credential per row, bytes
stored as standard base64 like new-api's (credential id, COSE public key, AAGUID), so a credential
registered by either server verifies on the other."""

from datetime import datetime

from sqlalchemy import BigInteger, Column, DateTime, Text
from sqlmodel import Field, SQLModel

from backend.models.ids import no_id_reuse


class PasskeyCredential(SQLModel, table=True):
    __tablename__ = "passkey_credentials"
    __table_args__ = no_id_reuse()

    id: int = Field(default=None, primary_key=True)
    user_id: int = Field(index=True)
    credential_id: str = Field(max_length=512, unique=True, index=True)
    public_key: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    attestation_type: str = Field(default="", max_length=255)
    aaguid: str = Field(default="", max_length=512)
    sign_count: int = Field(default=0, sa_type=BigInteger)
    clone_warning: bool = Field(default=False)
    user_present: bool = Field(default=False)
    user_verified: bool = Field(default=False)
    backup_eligible: bool = Field(default=False)
    backup_state: bool = Field(default=False)
    transports: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    attachment: str = Field(default="", max_length=32)
    last_used_at: datetime | None = Field(default=None, sa_column=Column(DateTime, nullable=True))
    created_at: datetime | None = Field(default=None, sa_column=Column(DateTime, nullable=True))
    updated_at: datetime | None = Field(default=None, sa_column=Column(DateTime, nullable=True))
    deleted_at: datetime | None = Field(default=None, sa_column=Column(DateTime, index=True, nullable=True))
