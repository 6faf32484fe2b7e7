"""Immutable snapshots of the rows the relay reads on every request."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import orjson

from backend.models import Token, User


@dataclass(frozen=True, slots=True)
class TokenInfo:
    id: int
    user_id: int
    key: str
    status: int
    name: str
    expired_time: int
    remain_quota: int
    unlimited_quota: bool
    model_limits_enabled: bool
    model_limits: frozenset[str]
    allow_ips: tuple[str, ...]
    group: str

    @classmethod
    def from_row(cls, t: Token) -> TokenInfo:
        limits = frozenset(m.strip() for m in (t.model_limits or "").split(",") if m.strip())
        ips = tuple(ip.strip() for ip in (t.allow_ips or "").replace(",", "\n").splitlines() if ip.strip())
        return cls(
            id=t.id or 0, user_id=t.user_id, key=t.key, status=t.status, name=t.name,
            expired_time=t.expired_time, remain_quota=t.remain_quota, unlimited_quota=bool(t.unlimited_quota),
            model_limits_enabled=bool(t.model_limits_enabled), model_limits=limits, allow_ips=ips,
            group=t.group or "",
        )

    def to_json(self) -> bytes:
        """Without the key itself: what goes to Redis must not hold usable credentials."""
        d = asdict(self)
        del d["key"]
        d["model_limits"] = sorted(self.model_limits)
        return orjson.dumps(d)

    @classmethod
    def from_json(cls, raw: bytes | str, key: str) -> TokenInfo:
        d = orjson.loads(raw)
        d["key"] = key
        d["model_limits"] = frozenset(d["model_limits"])
        d["allow_ips"] = tuple(d["allow_ips"])
        return cls(**d)


@dataclass(frozen=True, slots=True)
class UserInfo:
    id: int
    username: str
    role: int
    status: int
    group: str
    quota: int
    email: str
    setting: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_row(cls, u: User) -> UserInfo:
        try:
            setting = orjson.loads(u.setting) if u.setting else {}
        except orjson.JSONDecodeError:
            setting = {}
        return cls(
            id=u.id or 0, username=u.username, role=u.role, status=u.status, group=u.group or "default",
            quota=u.quota, email=u.email or "", setting=setting if isinstance(setting, dict) else {},
        )

    def to_json(self) -> bytes:
        return orjson.dumps(asdict(self))

    @classmethod
    def from_json(cls, raw: bytes | str) -> UserInfo:
        return cls(**orjson.loads(raw))
