"""Seeding the gateway's database through its services, and reading the results back, for the
relay tests (HTTP through the real app; no relay code is called directly)."""

from __future__ import annotations

from typing import Any

import orjson
from sqlmodel import select

from backend.cache import channels as channel_cache
from backend.db import session_scope
from backend.models import Channel, Log, Token, User
from backend.models.enums import LogType, Role
from backend.services import channels, options, tokens, users
from backend.services.ledger import flush_all

_counter = {"n": 0}


def _name(prefix: str) -> str:
    _counter["n"] += 1
    return f"{prefix}{_counter['n']}"


def make_user(*, quota: int = 10_000_000, role: int = Role.COMMON, group: str = "default") -> User:
    with session_scope() as s:
        user = users.create_user(s, _name("u"), "password123", role=role, quota=quota, group=group)
        return user


def make_token(user: User, **fields: Any) -> Token:
    fields.setdefault("name", _name("tok"))
    fields.setdefault("unlimited_quota", True)
    with session_scope() as s:
        row = s.get(User, user.id)
        assert row is not None
        return tokens.insert_token(s, row, **fields)


def make_key(*, quota: int = 10_000_000, role: int = Role.COMMON, group: str = "default", **token_fields: Any) -> tuple[User, Token, str]:
    """A user with one API key; returns (user, token, "sk-<key>")."""
    user = make_user(quota=quota, role=role, group=group)
    token = make_token(user, **token_fields)
    return user, token, f"sk-{token.key}"


def make_channel(base_url: str, models: str, *, type_: int = 1, key: str = "sk-upstream", group: str = "default",
                 priority: int = 0, weight: int = 0, **extra: Any) -> int:
    """A channel through the admin service (abilities rebuilt, routing cache reloaded)."""
    body: dict[str, Any] = {
        "type": type_, "name": _name("ch"), "key": key, "base_url": base_url, "models": models, "group": group,
        "priority": priority, "weight": weight,
    }
    for name in ("model_mapping", "status_code_mapping", "param_override", "header_override", "setting"):
        if isinstance(extra.get(name), dict):
            extra[name] = orjson.dumps(extra[name]).decode()
    body.update(extra)
    ids = channels.create_channels(body)
    channel_cache.reload()
    return ids[0]


def set_option(key: str, value: str) -> None:
    options.update(key, value)


def flush() -> None:
    assert flush_all(), "ledger/log flush failed"


def user_row(user_id: int) -> User:
    with session_scope() as s:
        row = s.get(User, user_id)
        assert row is not None
        return row


def token_row(token_id: int) -> Token:
    with session_scope() as s:
        row = s.get(Token, token_id)
        assert row is not None
        return row


def channel_row(channel_id: int) -> Channel:
    with session_scope() as s:
        row = s.get(Channel, channel_id)
        assert row is not None
        return row


def consume_logs(user_id: int) -> list[Log]:
    with session_scope() as s:
        return list(s.exec(select(Log).where(Log.user_id == user_id, Log.type == int(LogType.CONSUME))
                           .order_by(Log.id)).all())


def log_other(row: Log) -> dict[str, Any]:
    return orjson.loads(row.other) if row.other else {}
