import json
import time

import pytest
from mgmt_helpers import app_client, auth, data, make_user, refused

from backend.db import log_session_scope, session_scope
from backend.models import Channel, Log, QuotaData, Token
from backend.models.enums import LogType, Role
from backend.services import log_queries

NOW = int(time.time())
OTHER = json.dumps({"model_ratio": 15, "admin_info": {"use_channel": [7]}})


def _log(user, **kw) -> None:
    row = {"user_id": user.id, "username": user.username, "type": LogType.CONSUME, "created_at": NOW,
           "model_name": "gpt-4o", "token_name": "t1", "quota": 100, "prompt_tokens": 10, "completion_tokens": 5,
           "channel_id": 7, "group": "default", "other": OTHER, **kw}
    with log_session_scope() as s:
        s.add(Log(**row))


@pytest.fixture
def world(storage):
    admin, alice, bob = make_user("admin", Role.ADMIN), make_user("alice"), make_user("bob")
    _log(alice)  # recent consume
    _log(alice, created_at=NOW - 3600, model_name="claude-3-5-sonnet", quota=300, token_name="t2")
    _log(alice, type=LogType.TOPUP, quota=0, content="redeemed", model_name="")
    _log(bob, quota=50, channel_id=9, group="vip")
    return admin, alice, bob


def test_admin_sees_everything_with_filters(world):
    admin, alice, bob = world
    c = app_client()
    h = auth(admin)
    assert data(c.get("/api/log/", headers=h))["total"] == 4
    assert data(c.get("/api/log/?type=2", headers=h))["total"] == 3
    assert data(c.get("/api/log/?username=alice", headers=h))["total"] == 3
    assert data(c.get("/api/log/?model_name=claude", headers=h))["total"] == 1
    assert data(c.get("/api/log/?token_name=t2", headers=h))["total"] == 1
    assert data(c.get("/api/log/?channel=9", headers=h))["total"] == 1
    assert data(c.get("/api/log/?group=vip", headers=h))["total"] == 1
    assert data(c.get(f"/api/log/?start_timestamp={NOW - 60}&end_timestamp={NOW + 1}", headers=h))["total"] == 3
    page = data(c.get("/api/log/?p=2&page_size=3", headers=h))
    assert (page["page"], page["page_size"], len(page["items"])) == (2, 3, 1)
    with session_scope() as s:
        s.add(Channel(id=7, name="openai-main", type=1))
    row = data(c.get("/api/log/?channel=7&type=2&model_name=gpt", headers=h))["items"][0]
    assert row["channel"] == 7 and row["channel_name"] == "openai-main" and "admin_info" in row["other"]
    assert "channel_name" not in data(c.get("/api/log/self", headers=auth(alice)))["items"][0]
    refused(c.get("/api/log/", headers=auth(alice)), 403)


def test_user_sees_own_rows_without_channel_or_admin_info(world):
    _admin, alice, bob = world
    c = app_client()
    page = data(c.get("/api/log/self", headers=auth(alice)))
    assert page["total"] == 3
    for row in page["items"]:
        assert row["user_id"] == alice.id and row["channel"] == 0
        assert "admin_info" not in row["other"]
    assert json.loads(page["items"][-1]["other"]) == {"model_ratio": 15}
    # a username filter cannot widen a user's view
    assert data(c.get("/api/log/self?username=bob", headers=auth(alice)))["total"] == 3
    assert data(c.get("/api/log/self?channel=9", headers=auth(alice)))["total"] == 3
    assert data(c.get("/api/log/self", headers=auth(bob)))["total"] == 1


def test_stats(world, monkeypatch):
    admin, alice, _bob = world
    monkeypatch.setattr(log_queries, "_now", lambda: NOW)  # rpm/tpm look back 60 s from "now"
    c = app_client()
    assert data(c.get("/api/log/stat", headers=auth(admin))) == {"quota": 450, "rpm": 2, "tpm": 30}
    assert data(c.get("/api/log/self/stat", headers=auth(alice))) == {"quota": 400, "rpm": 1, "tpm": 15}
    assert data(c.get("/api/log/stat?username=bob", headers=auth(admin))) == {"quota": 50, "rpm": 1, "tpm": 15}
    assert data(c.get("/api/log/self/stat?model_name=claude", headers=auth(alice))) == {"quota": 300, "rpm": 0,
                                                                                         "tpm": 0}
    refused(c.get("/api/log/stat", headers=auth(alice)), 403)


def test_search(world):
    admin, alice, bob = world
    c = app_client()
    assert len(data(c.get("/api/log/search?keyword=gpt-4o", headers=auth(admin)))) == 2
    mine = data(c.get("/api/log/self/search?keyword=gpt-4o", headers=auth(alice)))
    assert len(mine) == 1 and mine[0]["channel"] == 0
    assert len(data(c.get("/api/log/self/search?keyword=redeemed", headers=auth(alice)))) == 1
    assert data(c.get("/api/log/self/search?keyword=redeemed", headers=auth(bob))) == []


def test_delete_old_logs(world):
    admin, alice, _bob = world
    c = app_client()
    refused(c.delete(f"/api/log/?target_timestamp={NOW - 60}", headers=auth(alice)), 403)
    refused(c.delete("/api/log/", headers=auth(admin)), 400)
    assert data(c.delete(f"/api/log/?target_timestamp={NOW - 60}", headers=auth(admin))) == 1
    assert data(c.get("/api/log/", headers=auth(admin)))["total"] == 3


def test_public_token_logs(world):
    _admin, alice, _bob = world
    with session_scope() as s:
        tok = Token(user_id=alice.id, key="A" * 48, name="t1")
        s.add(tok)
        s.flush()
        tid = tok.id
    _log(alice, token_id=tid, model_name="gpt-4o-mini")
    c = app_client()
    rows = data(c.get(f"/api/log/token?key=sk-{'A' * 48}", headers={"Origin": "https://other.example"}))
    assert [r["model_name"] for r in rows] == ["gpt-4o-mini"]
    assert rows[0]["channel"] == 0 and "admin_info" not in rows[0]["other"]
    r = c.get(f"/api/log/token?key={'A' * 48}", headers={"Origin": "https://other.example"})
    assert r.headers["access-control-allow-origin"] == "*"
    assert data(c.get(f"/api/log/token?key=sk-{'B' * 48}")) == []
    refused(c.get("/api/log/token?key="), 400)


def test_quota_data(storage):
    admin, alice = make_user("admin", Role.ADMIN), make_user("alice")
    hour = NOW - NOW % 3600
    with session_scope() as s:
        s.add(QuotaData(user_id=alice.id, username="alice", model_name="gpt-4o", created_at=hour, count=3,
                        quota=900, token_used=120))
        s.add(QuotaData(user_id=admin.id, username="admin", model_name="gpt-4o", created_at=hour - 86400 * 40,
                        count=1, quota=10, token_used=5))
    c = app_client()
    assert len(data(c.get("/api/data/", headers=auth(admin)))) == 2
    assert len(data(c.get(f"/api/data/?start_timestamp={hour - 3600}&end_timestamp={hour + 1}",
                          headers=auth(admin)))) == 1
    assert [r["username"] for r in data(c.get("/api/data/?username=admin", headers=auth(admin)))] == ["admin"]
    mine = data(c.get(f"/api/data/self?start_timestamp={hour - 86400}&end_timestamp={hour + 1}", headers=auth(alice)))
    assert [(r["user_id"], r["quota"], r["count"]) for r in mine] == [(alice.id, 900, 3)]
    refused(c.get(f"/api/data/self?start_timestamp={hour - 86400 * 31}&end_timestamp={hour}", headers=auth(alice)),
            400)
    refused(c.get("/api/data/", headers=auth(alice)), 403)


def test_logs_live_in_the_log_database(sqlite_storage, monkeypatch, tmp_path):
    from sqlalchemy import inspect

    from backend.config import reset_settings
    from backend.db import get_engine, get_log_engine, reset_engines
    from backend.migrate import migrate

    monkeypatch.setenv("LOG_SQL_DSN", f"sqlite:///{tmp_path / 'logs.db'}")
    reset_settings()
    reset_engines()
    migrate()
    admin, alice = make_user("admin", Role.ADMIN), make_user("alice")
    c = app_client()
    key = data(c.post("/api/redemption/", json={"name": "g", "quota": 5, "count": 1}, headers=auth(admin)))[0]
    data(c.post("/api/user/topup", json={"key": key}, headers=auth(alice)))
    assert get_log_engine().url != get_engine().url
    with get_log_engine().connect() as conn:
        assert conn.exec_driver_sql("SELECT COUNT(*) FROM logs").scalar() == 1
    if inspect(get_engine()).has_table("logs"):
        with get_engine().connect() as conn:
            assert conn.exec_driver_sql("SELECT COUNT(*) FROM logs").scalar() == 0
    assert data(c.get("/api/log/self", headers=auth(alice)))["total"] == 1
