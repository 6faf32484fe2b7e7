"""API keys ("tokens") on the wire. Lists and reads show the key masked; only `TokenKey` (the
reveal routes) carries it whole."""

from __future__ import annotations

from pydantic import BaseModel

from backend.models.schemas.base import ApiModel, Int64


class TokenFields(ApiModel):
    """What an owner may set on a token; None leaves the stored value (or the default) alone."""

    name: str | None = None
    expired_time: Int64 | None = None
    remain_quota: Int64 | None = None
    unlimited_quota: bool | None = None
    model_limits_enabled: bool | None = None
    model_limits: str | None = None
    allow_ips: str | None = None
    group: str | None = None


class TokenCreate(TokenFields):
    """`POST /api/token/` (an `id` or `status` in the body is ignored: a new token starts enabled)."""


class TokenUpdate(TokenFields):
    """`PUT /api/token/` (with `?status_only=true` only `status` is read)."""

    id: Int64 | None = None
    status: Int64 | None = None


def mask_key(key: str) -> str:
    """`sk-` + the first and last four characters: enough to tell keys apart, useless to call with."""
    return f"sk-{key[:4]}{'*' * 10}{key[-4:]}" if len(key) > 8 else "sk-" + "*" * len(key)


class TokenPublic(BaseModel):
    id: int | None
    user_id: int | None
    key: str  # always masked (`mask_key`)
    status: int | None
    name: str | None
    created_time: int | None
    accessed_time: int | None
    expired_time: int | None
    remain_quota: int | None
    unlimited_quota: bool | None
    model_limits_enabled: bool | None
    model_limits: str | None
    allow_ips: str
    used_quota: int | None
    group: str | None


class TokenKey(BaseModel):
    """`POST /api/token/:id/key`: the one reply that carries a whole key (`sk-…`)."""

    key: str


class TokenKeys(BaseModel):
    """`POST /api/token/batch/keys`: whole keys by token id."""

    keys: dict[str, str]
