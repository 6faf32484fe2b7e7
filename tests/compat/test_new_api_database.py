"""An existing new-api database (no `setups` table, an older column set) opens in place."""

from __future__ import annotations

import bcrypt
import pytest
from sqlalchemy import inspect, text

from backend.db import get_engine
from backend.migrate import migrate
from backend.models import Channel, Setup, Token, User
from tests.compat.new_api_ddl import ddl
from tests.conftest import mark_schema_dirty

ROOT_HASH = bcrypt.hashpw(b"12345678", bcrypt.gensalt(rounds=10)).decode()
KEY = "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8S9t0U1v2W3x4"


def _q(name: str) -> str:
    return f'"{name}"' if get_engine().dialect.name == "postgresql" else f"`{name}`"


def build_new_api_database(sqlite_autoincrement: bool = True) -> None:
    engine = get_engine()
    mark_schema_dirty({"postgresql": "postgres", "mysql": "mysql"}.get(engine.dialect.name, "sqlite"))
    with engine.begin() as conn:
        for table in ("users", "tokens", "channels", "abilities", "options", "logs", "redemptions", "top_ups",
                      "quota_data", "setups", "user_sessions", "alembic_version"):
            conn.execute(text(f"DROP TABLE IF EXISTS {_q(table)}"))
        for stmt in ddl(engine.dialect.name, sqlite_autoincrement):
            conn.execute(text(stmt))
        g = _q("group")
        k = _q("key")
        conn.execute(text(
            f"INSERT INTO users (username, password, display_name, role, status, quota, used_quota, {g}, aff_code) "
            "VALUES ('root', :h, 'Root User', 100, 1, 100000000, 0, 'default', 'abcd'), "
            "('alice', :h, 'Alice', 1, 1, 5000000, 12345, 'vip', 'wxyz')"), {"h": ROOT_HASH})
        conn.execute(text(
            f"INSERT INTO tokens (user_id, {k}, status, name, created_time, expired_time, remain_quota, "
            f"unlimited_quota, used_quota, {g}) VALUES (2, :k, 1, 'legacy', 1700000000, -1, 777, false, 5, '')"),
            {"k": KEY})
        conn.execute(text(
            f"INSERT INTO channels (type, {k}, status, name, weight, models, {g}, priority, base_url, open_ai_organization) "
            "VALUES (1, 'sk-upstream', 1, 'old openai', 0, 'gpt-4o-mini,gpt-4o', 'default,vip', 0, '', 'org-1')"))
        conn.execute(text(
            f"INSERT INTO abilities ({g}, model, channel_id, enabled, priority, weight) VALUES "
            "('vip', 'gpt-4o-mini', 1, true, 0, 0), ('default', 'gpt-4o-mini', 1, true, 0, 0)"))
        conn.execute(text(f"INSERT INTO options ({k}, value) VALUES ('SystemName', 'Old Gateway'), ('RetryTimes', '2')"))


def test_new_api_database_upgrades_in_place(storage):
    build_new_api_database()
    migrate()
    insp = inspect(get_engine())
    assert {"setups", "user_sessions"} <= set(insp.get_table_names())
    assert {"linux_do_id", "setting", "stripe_customer", "discord_id"} <= {c["name"] for c in insp.get_columns("users")}
    assert {"header_override", "remark", "settings"} <= {c["name"] for c in insp.get_columns("channels")}
    assert "ip" in {c["name"] for c in insp.get_columns("logs")}

    from sqlmodel import Session, select

    with Session(get_engine()) as s:
        alice = s.exec(select(User).where(User.username == "alice")).one()
        assert (alice.quota, alice.used_quota, alice.group, alice.aff_code) == (5000000, 12345, "vip", "wxyz")
        assert alice.setting is None and alice.linux_do_id == ""
        token = s.exec(select(Token)).one()
        assert (token.key, token.remain_quota, token.user_id, token.expired_time) == (KEY, 777, 2, -1)
        channel = s.get(Channel, 1)
        assert channel.openai_organization == "org-1" and channel.models == "gpt-4o-mini,gpt-4o"
        # a root user without a setups row: the instance counts as set up
        assert s.exec(select(Setup)).one().version
    # a second migrate is a no-op
    migrate()


@pytest.fixture
def legacy_gateway(storage):
    build_new_api_database()
    migrate()
    return storage


def test_gateway_serves_from_a_new_api_database(storage):
    """Start on the upgraded rows: the old root logs in with its bcrypt hash, the old key relays
    through the old channel and abilities, and the charge lands on the old counters."""
    import openai
    from sqlalchemy import update

    from backend import cache
    from backend.cache import channels
    from backend.db import session_scope
    from tests.relay.relay_seed import flush, relay_env, user_row, wait_until

    build_new_api_database()
    migrate()
    with relay_env() as env:
        with session_scope() as s:
            s.exec(update(Channel).where(Channel.id == 1).values(base_url=env.fake.url))
            s.exec(update(Token).where(Token.id == 1).values(remain_quota=2_000_000))
        channels.reload()  # the rows were edited behind the gateway's back
        cache.invalidate_token(KEY)
        import httpx

        with httpx.Client(base_url=env.url) as web:
            login = web.post("/api/user/login", json={"username": "root", "password": "12345678"})
            assert login.json()["success"] is True, login.text
            me = web.get("/api/user/self", headers={"New-Api-User": str(login.json()["data"]["id"])})
            assert me.json()["data"]["username"] == "root"
            assert web.get("/api/setup").json()["data"]["status"] is True
            assert web.get("/api/status").json()["data"]["system_name"] == "Old Gateway"

        client = openai.OpenAI(api_key="sk-" + KEY, base_url=env.url + "/v1", max_retries=0)
        reply = client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}])
        assert reply.choices[0].message.content
        assert env.fake.last.headers["authorization"] == "Bearer sk-upstream"
        assert env.fake.last.headers.get("openai-organization") == "org-1"
        flush()
        wait_until(lambda: user_row(2).request_count == 1, "the charge to reach the old users row")
        alice = user_row(2)
        assert alice.used_quota > 12345 and alice.quota == 5000000 - (alice.used_quota - 12345)
