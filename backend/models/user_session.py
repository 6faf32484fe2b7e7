"""Console and /api login sessions, kept on the server so they can be ended (logout, a password
change, a ban) on every instance at once. Not a new-api table: new-api keeps its sessions in a
signed cookie store and cannot revoke them."""

from sqlalchemy import BigInteger
from sqlmodel import Field, SQLModel


class UserSession(SQLModel, table=True):
    __tablename__ = "user_sessions"

    # HMAC-SHA256(SESSION_SECRET, the cookie's random secret), hex: the secret itself is never
    # stored, so a leaked table opens no account.
    id: str = Field(primary_key=True, max_length=64)
    user_id: int = Field(index=True)
    created_at: int = Field(default=0, sa_type=BigInteger)
    expires_at: int = Field(default=0, sa_type=BigInteger, index=True)
