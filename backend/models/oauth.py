"""Tables of the social and external logins.

`custom_oauth_providers` and `user_oauth_bindings` are new-api's (same table and column names), so
a new-api database's providers and bindings open in place. `auth_nonces` is ours: short-lived,
single-use values (OAuth states, Telegram bot-login nonces) when Redis is not configured.
"""

from datetime import datetime

from sqlalchemy import BigInteger, Column, DateTime, Text, UniqueConstraint
from sqlmodel import Field, SQLModel


def _text() -> Column:
    return Column(Text, nullable=True)


class CustomOAuthProvider(SQLModel, table=True):
    __tablename__ = "custom_oauth_providers"

    id: int = Field(default=None, primary_key=True)
    name: str = Field(default="", max_length=64)
    slug: str = Field(default="", max_length=64, unique=True, index=True)
    icon: str = Field(default="", max_length=128)
    kind: str = Field(default="oauth_code", max_length=32)
    enabled: bool = Field(default=False)
    client_id: str = Field(default="", max_length=256)
    client_secret: str = Field(default="", max_length=512)
    authorization_endpoint: str = Field(default="", max_length=512)
    token_endpoint: str = Field(default="", max_length=512)
    user_info_endpoint: str = Field(default="", max_length=512)
    scopes: str = Field(default="openid profile email", max_length=256)
    issuer: str = Field(default="", max_length=512)
    audience: str = Field(default="", max_length=256)
    jwks_url: str = Field(default="", max_length=512)
    public_key: str | None = Field(default=None, sa_column=_text())
    jwt_source: str = Field(default="query", max_length=32)
    jwt_header: str = Field(default="Authorization", max_length=128)
    jwt_identity_mode: str = Field(default="claims", max_length=32)
    jwt_acquire_mode: str = Field(default="direct_token", max_length=32)
    trusted_proxy_cidrs: str | None = Field(default=None, sa_column=_text())
    external_id_header: str = Field(default="", max_length=128)
    username_header: str = Field(default="", max_length=128)
    display_name_header: str = Field(default="", max_length=128)
    email_header: str = Field(default="", max_length=128)
    group_header: str = Field(default="", max_length=128)
    role_header: str = Field(default="", max_length=128)
    authorization_service_field: str = Field(default="service", max_length=64)
    ticket_exchange_url: str = Field(default="", max_length=512)
    ticket_exchange_method: str = Field(default="GET", max_length=16)
    ticket_exchange_payload_mode: str = Field(default="query", max_length=16)
    ticket_exchange_ticket_field: str = Field(default="ticket", max_length=64)
    ticket_exchange_token_field: str = Field(default="", max_length=128)
    ticket_exchange_service_field: str = Field(default="", max_length=64)
    ticket_exchange_extra_params: str | None = Field(default=None, sa_column=_text())
    ticket_exchange_headers: str | None = Field(default=None, sa_column=_text())
    user_id_field: str = Field(default="sub", max_length=128)
    username_field: str = Field(default="preferred_username", max_length=128)
    display_name_field: str = Field(default="name", max_length=128)
    email_field: str = Field(default="email", max_length=128)
    group_field: str = Field(default="", max_length=128)
    role_field: str = Field(default="", max_length=128)
    group_mapping: str | None = Field(default=None, sa_column=_text())
    role_mapping: str | None = Field(default=None, sa_column=_text())
    auto_register: bool = Field(default=False)
    auto_merge_by_email: bool = Field(default=False)
    sync_username_on_login: bool = Field(default=False)
    sync_display_name_on_login: bool = Field(default=False)
    sync_email_on_login: bool = Field(default=False)
    sync_group_on_login: bool = Field(default=False)
    sync_role_on_login: bool = Field(default=False)
    group_mapping_mode: str = Field(default="explicit_only", max_length=32)
    role_mapping_mode: str = Field(default="explicit_only", max_length=32)
    well_known: str = Field(default="", max_length=512)
    auth_style: int = Field(default=0)
    access_policy: str | None = Field(default=None, sa_column=_text())
    access_denied_message: str = Field(default="", max_length=512)
    created_at: datetime | None = Field(default=None, sa_column=Column(DateTime, nullable=True))
    updated_at: datetime | None = Field(default=None, sa_column=Column(DateTime, nullable=True))


class UserOAuthBinding(SQLModel, table=True):
    """One account of a custom provider per user, and one user per account of a provider."""

    __tablename__ = "user_oauth_bindings"
    __table_args__ = (
        UniqueConstraint("user_id", "provider_id", name="ux_user_provider"),
        UniqueConstraint("provider_id", "provider_user_id", name="ux_provider_userid"),
    )

    id: int = Field(default=None, primary_key=True)
    user_id: int = Field(default=0)
    provider_id: int = Field(default=0)
    provider_user_id: str = Field(default="", max_length=256)
    created_at: datetime | None = Field(default=None, sa_column=Column(DateTime, nullable=True))


class AuthNonce(SQLModel, table=True):
    """A single-use value with an expiry (used when Redis is not configured): the key is a hash,
    never the value handed to the browser."""

    __tablename__ = "auth_nonces"

    key: str = Field(primary_key=True, max_length=128)
    value: str = Field(default="", sa_column=Column(Text, nullable=True))
    expires_at: int = Field(default=0, sa_type=BigInteger, index=True)
