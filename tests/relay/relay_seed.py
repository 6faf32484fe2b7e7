"""Seeding the gateway's database through its services, and reading the results back, for the
relay tests (HTTP through the real app; no relay code is called directly)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import openai
import orjson
from sqlmodel import select

from backend.cache import UserInfo
from backend.cache import channels as channel_cache
from backend.db import session_scope
from backend.models import Channel, Log, Token, User
from backend.models.enums import LogType, Role
from backend.models.usage import Usage
from backend.services import billing, channel_input, channels, options, tokens, users
from backend.services.ledger import flush_all
from tests.conftest import LiveServer
from tests.fakes.upstream import FakeUpstream
from tests.support import wait_until  # noqa: F401 (re-exported: the relay tests import it from here)

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
                 priority: int = 0, weight: int = 0, multi_key: bool = False, **extra: Any) -> int:
    """A channel through the admin service (abilities rebuilt, routing cache reloaded). With
    `multi_key`, newline-separated keys stay one channel (otherwise each key is a channel)."""
    body: dict[str, Any] = {
        "type": type_, "name": _name("ch"), "key": key, "base_url": base_url, "models": models, "group": group,
        "priority": priority, "weight": weight,
    }
    for name in ("model_mapping", "status_code_mapping", "param_override", "header_override", "setting"):
        if isinstance(extra.get(name), dict):
            extra[name] = orjson.dumps(extra[name]).decode()
    key_mode = extra.pop("multi_key_mode", "random")  # multi_key only: random | polling
    body.update(extra)
    ids = channels.create_channels(channel_input.parse_create({"mode": "multi_to_single", "multi_key_mode": key_mode, "channel": body}
                                   if multi_key else body))
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


# -- a running gateway in front of the fake upstream ---------------------------------------------


class DisconnectProbe:
    """Wraps the fake upstream's ASGI app and counts responses whose client (the gateway) went
    away before the response was complete: proof that the gateway cancelled its upstream call."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.disconnects = 0

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        complete = False

        async def watched_send(message: dict) -> None:
            nonlocal complete
            if message["type"] == "http.response.body" and not message.get("more_body", False):
                complete = True
            await send(message)

        async def watched_receive() -> dict:
            message = await receive()
            if message["type"] == "http.disconnect" and not complete:
                self.disconnects += 1
            return message

        await self.app(scope, watched_receive, watched_send)


@dataclass
class RelayEnv:
    fake: FakeUpstream
    probe: DisconnectProbe
    url: str

    def openai(self, key: str) -> openai.OpenAI:
        return openai.OpenAI(api_key=key, base_url=self.url + "/v1", max_retries=0, timeout=60)

    def async_openai(self, key: str) -> openai.AsyncOpenAI:
        return openai.AsyncOpenAI(api_key=key, base_url=self.url + "/v1", max_retries=0, timeout=120)


@contextmanager
def relay_env() -> Iterator[RelayEnv]:
    """The gateway (with its lifespan) and a fake upstream, both on loopback."""
    from backend.main import create_app

    fake = FakeUpstream()
    probe = DisconnectProbe(fake.app)
    fake.app = probe
    with fake, LiveServer(create_app()) as gateway:
        yield RelayEnv(fake=fake, probe=probe, url=gateway.url)


def expected_quota(user: User, model: str, usage: Usage, group: str = "default") -> int:
    """What billing charges for `usage` of `model` (billing's own formula is tested elsewhere)."""
    info = UserInfo.from_row(user_row(user.id))
    return billing.compute_quota(billing.pricing_for(model, group, info), usage)[0]
