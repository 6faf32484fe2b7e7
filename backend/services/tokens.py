"""API keys ("tokens"): a user's own keys only. Keys are 48 random [0-9A-Za-z], stored without
`sk-`, shown masked in lists and revealed in full only on request."""

from __future__ import annotations

import secrets
import string
import time
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, or_, update
from sqlmodel import Session, col, select

from backend import cache
from backend.db import session_scope
from backend.models import Token, User
from backend.models.enums import TokenStatus
from backend.models.schemas.token import TokenCreate, TokenPublic, TokenUpdate, mask_key
from backend.services import groups, ledger, options
from backend.services.errors import NotFound, ServiceError, msg
from backend.services.paging import page_of

_ALNUM = string.digits + string.ascii_letters
KEY_LENGTH = 48


def generate_key() -> str:
    return "".join(secrets.choice(_ALNUM) for _ in range(KEY_LENGTH))


def view(t: Token) -> TokenPublic:
    return TokenPublic(
        id=t.id,
        user_id=t.user_id,
        key=mask_key(t.key),
        status=t.status,
        name=t.name,
        created_time=t.created_time,
        accessed_time=t.accessed_time,
        expired_time=t.expired_time,
        remain_quota=t.remain_quota,
        unlimited_quota=t.unlimited_quota,
        model_limits_enabled=t.model_limits_enabled,
        model_limits=t.model_limits,
        allow_ips=t.allow_ips or "",
        used_quota=t.used_quota,
        group=t.group,
    )


def _live(user_id: int):  # noqa: ANN202
    return (col(Token.user_id) == user_id, col(Token.deleted_at).is_(None))


def list_tokens(user_id: int, p: int, page_size: int) -> tuple[list[TokenPublic], int]:
    with session_scope() as s:
        rows, total = page_of(s, Token, _live(user_id), p, page_size)
    return [view(t) for t in rows], total


def search_tokens(user_id: int, keyword: str, token: str, p: int, page_size: int) -> tuple[list[TokenPublic], int]:
    conds = list(_live(user_id))
    if keyword:
        conds.append(col(Token.name).contains(keyword, autoescape=True))
    if token:
        part = token.strip().removeprefix("sk-")
        conds.append(or_(col(Token.key) == part, col(Token.key).contains(part, autoescape=True)))
    with session_scope() as s:
        rows, total = page_of(s, Token, conds, p, page_size)
    return [view(t) for t in rows], total


def _own(s: Session, user_id: int, token_id: int) -> Token:
    """Another user's token is reported as missing, so ids cannot be probed."""
    t = s.get(Token, token_id)
    if t is None or t.user_id != user_id or t.deleted_at is not None:
        raise NotFound(msg("token not found"))
    return t


def get_token(user_id: int, token_id: int) -> TokenPublic:
    with session_scope() as s:
        return view(_own(s, user_id, token_id))


def reveal_key(user_id: int, token_id: int) -> str:
    """The whole key (`sk-…`) of one of the caller's own tokens: `POST /api/token/:id/key`."""
    with session_scope() as s:
        return f"sk-{_own(s, user_id, token_id).key}"


def _validate(fields: dict[str, Any], user_group: str) -> None:
    name = fields.get("name")
    if name is not None and len(name) > 50:
        raise ServiceError(msg("the token name must be at most 50 characters"))
    if fields.get("remain_quota", 0) < 0:
        raise ServiceError(msg("the remaining quota cannot be negative"))
    expired = fields.get("expired_time")
    if expired is not None and expired != -1 and expired <= int(time.time()):
        raise ServiceError(msg("the expiry time must be in the future, or -1 for never"))
    if "group" in fields and not groups.is_usable(user_group, fields["group"] or ""):
        raise ServiceError(msg("this group is not available to you"))
    if len(fields.get("model_limits") or "") > 1024 or len(fields.get("allow_ips") or "") > 1024:
        raise ServiceError(msg("the model limits and the allowed IPs are limited to 1024 characters each"))


EDITABLE = ("name", "expired_time", "remain_quota", "unlimited_quota", "model_limits_enabled", "model_limits",
            "allow_ips", "group")


def insert_token(s: Session, user: User, **fields: Any) -> Token:
    """Create a token inside the caller's transaction."""
    now = int(time.time())
    t = Token(user_id=user.id, key=generate_key(), status=TokenStatus.ENABLED, created_time=now, accessed_time=now)
    for k in EDITABLE:
        if k in fields and fields[k] is not None:
            setattr(t, k, fields[k])
    s.add(t)
    s.flush()
    return t


def insert_default_token(s: Session, user: User) -> Token:
    """The key GENERATE_DEFAULT_TOKEN gives a new account: unlimited, never expiring, in `auto`
    under DefaultUseAutoGroup."""
    return insert_token(s, user, name="default", unlimited_quota=True, group=groups.default_token_group())


def create_token(user: User, data: TokenCreate) -> TokenPublic:
    fields = data.model_dump(include=set(EDITABLE), exclude_none=True)
    fields.setdefault("name", "")
    _validate(fields, user.group)
    cap = options.get_int("MaxUserTokens")
    with session_scope() as s:
        if cap > 0:
            count = s.exec(select(func.count()).select_from(Token).where(*_live(user.id))).one()
            if count >= cap:
                raise ServiceError(msg("you already have the maximum of {cap} tokens", cap=cap))
        t = insert_token(s, user, **fields)
    cache.invalidate_token(t.key)
    return view(t)


def mark_unusable(token_id: int, key: str, status: int) -> bool:
    """Record that the relay found an enabled token expired (3) or used up (4), as new-api does,
    so lists show why it stopped. Conditional, so racing requests write it once."""
    with session_scope() as s:
        result = s.exec(
            update(Token).where(col(Token.id) == token_id, col(Token.status) == TokenStatus.ENABLED).values(status=status)
        )
        changed = bool(result.rowcount)
    if changed:
        cache.invalidate_token(key)
    return changed


def _check_enable(t: Token) -> None:
    if t.expired_time != -1 and t.expired_time <= int(time.time()):
        raise ServiceError(msg("the token has expired; change its expiry time before enabling it"))
    if not t.unlimited_quota and t.remain_quota <= 0:
        raise ServiceError(msg("the token's quota is used up; raise its remaining quota before enabling it"))


def update_token(user: User, token_id: int, data: TokenUpdate, *, status_only: bool = False) -> TokenPublic:
    remain_changed = False
    with session_scope() as s:
        t = _own(s, user.id, token_id)
        if status_only:
            status = data.status
            if status not in (TokenStatus.ENABLED, TokenStatus.DISABLED):
                raise ServiceError(msg("status must be 1 (enabled) or 2 (disabled)"))
        else:
            changes = data.model_dump(include=set(EDITABLE), exclude_none=True)
            _validate(changes, user.group)
            remain = changes.pop("remain_quota", None)
            for k, v in changes.items():
                setattr(t, k, v)
            if remain is not None and remain != t.remain_quota:
                # A delta, so spending the ledger has not flushed yet is not overwritten.
                s.execute(update(Token).where(col(Token.id) == t.id)
                          .values(remain_quota=Token.remain_quota + (remain - t.remain_quota)))
                s.refresh(t)
                remain_changed = True
            status = t.status if data.status is None else data.status
            if data.status is not None and status not in (TokenStatus.ENABLED, TokenStatus.DISABLED):
                raise ServiceError(msg("status must be 1 (enabled) or 2 (disabled)"))
        if status == TokenStatus.ENABLED and t.status != TokenStatus.ENABLED:
            _check_enable(t)
        t.status = int(status)
        s.add(t)
    if remain_changed:
        ledger.forget_token(t.id)
    cache.invalidate_token(t.key)
    return view(t)


def delete_tokens(user_id: int, ids: list[int]) -> int:
    """Soft-delete the user's own tokens among ids; returns how many."""
    now = datetime.now(UTC).replace(tzinfo=None)
    with session_scope() as s:
        rows = s.exec(select(Token).where(col(Token.id).in_(ids), *_live(user_id))).all()
        for t in rows:
            t.deleted_at = now
            s.add(t)
        gone = [(t.id, t.key) for t in rows]
    for tid, key in gone:
        ledger.forget_token(tid)
        cache.invalidate_token(key)
    return len(gone)


def delete_token(user_id: int, token_id: int) -> None:
    if delete_tokens(user_id, [token_id]) == 0:
        raise NotFound(msg("token not found"))


MAX_BATCH_KEYS = 100


def reveal_keys(user_id: int, token_ids: list[int]) -> dict[str, str]:
    """`POST /api/token/batch/keys`: the full keys of several of the caller's own tokens, by id.
    Ids that are not the caller's (or are deleted) are left out, as new-api's query leaves them."""
    if not token_ids:
        raise ServiceError(msg("invalid parameters: ids must not be empty"))
    if len(token_ids) > MAX_BATCH_KEYS:
        raise ServiceError(msg("at most {max_batch_keys} tokens at once", max_batch_keys=MAX_BATCH_KEYS))
    with session_scope() as s:
        rows = s.exec(select(Token).where(*_live(user_id), col(Token.id).in_(token_ids))).all()
        return {str(t.id): f"sk-{t.key}" for t in rows}
