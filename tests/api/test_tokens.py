import re
import time

from mgmt_helpers import app_client, auth, data, make_user, refused
from sqlmodel import select

from backend.db import session_scope
from backend.models import Token
from backend.models.enums import TokenStatus
from backend.services import options

KEY_RE = re.compile(r"^[0-9A-Za-z]{48}$")


def test_create_list_mask_reveal(storage):
    u = make_user("alice")
    c = app_client()
    made = data(c.post("/api/token/", json={"name": "laptop", "remain_quota": 5000, "expired_time": -1},
                       headers=auth(u)))
    with session_scope() as s:
        row = s.get(Token, made["id"])
    assert KEY_RE.match(row.key)  # stored without sk-
    assert row.key not in made["key"] and made["key"].startswith("sk-") and "*" in made["key"]

    listing = data(c.get("/api/token/?p=1&size=10", headers=auth(u)))
    assert listing["total"] == 1 and listing["page_size"] == 10
    assert all(row.key not in t["key"] for t in listing["items"])
    assert row.key not in c.get(f"/api/token/{made['id']}", headers=auth(u)).text
    assert row.key not in c.get("/api/token/search?keyword=lap", headers=auth(u)).text

    revealed = data(c.post(f"/api/token/{made['id']}/key", headers=auth(u)))
    assert revealed == {"key": f"sk-{row.key}"}


def test_keys_are_distinct(storage):
    u = make_user("bob")
    c = app_client()
    ids = [data(c.post("/api/token/", json={"name": f"t{i}", "unlimited_quota": True}, headers=auth(u)))["id"]
           for i in range(5)]
    with session_scope() as s:
        keys = {s.get(Token, i).key for i in ids}
    assert len(keys) == 5


def test_ownership(storage):
    a, b = make_user("owner"), make_user("other")
    c = app_client()
    tid = data(c.post("/api/token/", json={"name": "mine", "unlimited_quota": True}, headers=auth(a)))["id"]
    refused(c.get(f"/api/token/{tid}", headers=auth(b)), 404)
    refused(c.post(f"/api/token/{tid}/key", headers=auth(b)), 404)
    refused(c.put("/api/token/", json={"id": tid, "name": "stolen"}, headers=auth(b)), 404)
    refused(c.put("/api/token/?status_only=true", json={"id": tid, "status": 2}, headers=auth(b)), 404)
    refused(c.delete(f"/api/token/{tid}", headers=auth(b)), 404)
    assert data(c.post("/api/token/batch", json={"ids": [tid]}, headers=auth(b))) == 0
    assert data(c.get("/api/token/", headers=auth(b)))["total"] == 0
    assert data(c.get("/api/token/search?keyword=mine", headers=auth(b)))["total"] == 0
    with session_scope() as s:
        t = s.get(Token, tid)
        assert t.name == "mine" and t.deleted_at is None and t.status == TokenStatus.ENABLED
    refused(c.get("/api/token/"), 401)


def test_update_and_status_only(storage):
    u = make_user("carol")
    c = app_client()
    tid = data(c.post("/api/token/", json={"name": "t", "remain_quota": 10}, headers=auth(u)))["id"]
    out = data(c.put("/api/token/", json={"id": tid, "name": "renamed", "model_limits_enabled": True,
                                          "model_limits": "gpt-4o,gpt-4o-mini", "allow_ips": "10.0.0.1"},
                     headers=auth(u)))
    assert (out["name"], out["model_limits"], out["allow_ips"]) == ("renamed", "gpt-4o,gpt-4o-mini", "10.0.0.1")
    # status_only changes nothing but the status
    out = data(c.put("/api/token/?status_only=true", json={"id": tid, "status": 2, "name": "ignored"},
                     headers=auth(u)))
    assert out["status"] == TokenStatus.DISABLED and out["name"] == "renamed"
    refused(c.put("/api/token/?status_only=true", json={"id": tid, "status": 3}, headers=auth(u)), 400)
    refused(c.put("/api/token/", json={"name": "no id"}, headers=auth(u)), 400)
    refused(c.put("/api/token/", json={"id": tid, "status": 4}, headers=auth(u)), 400)


def test_enabling_expired_or_exhausted_token_fails(storage):
    u = make_user("dave")
    c = app_client()
    past = int(time.time()) - 10
    with session_scope() as s:
        expired = Token(user_id=u.id, key="e" * 48, name="exp", status=TokenStatus.EXPIRED, expired_time=past,
                        remain_quota=100)
        exhausted = Token(user_id=u.id, key="x" * 48, name="exh", status=TokenStatus.EXHAUSTED, remain_quota=0)
        s.add(expired)
        s.add(exhausted)
        s.flush()
        e_id, x_id = expired.id, exhausted.id
    assert "expired" in refused(c.put("/api/token/?status_only=true", json={"id": e_id, "status": 1},
                                      headers=auth(u)), 400)
    assert "quota" in refused(c.put("/api/token/?status_only=true", json={"id": x_id, "status": 1},
                                    headers=auth(u)), 400)
    # an enabled token that ran dry can still be renamed
    dry = data(c.post("/api/token/", json={"name": "dry", "remain_quota": 0}, headers=auth(u)))
    assert data(c.put("/api/token/", json={"id": dry["id"], "name": "renamed"}, headers=auth(u)))["name"] == "renamed"
    # fixing the cause lets it be enabled
    data(c.put("/api/token/", json={"id": x_id, "remain_quota": 50}, headers=auth(u)))
    assert data(c.put("/api/token/?status_only=true", json={"id": x_id, "status": 1},
                      headers=auth(u)))["status"] == TokenStatus.ENABLED


def test_validation(storage):
    u = make_user("erin", group="default")
    c = app_client()
    refused(c.post("/api/token/", json={"name": "x" * 51}, headers=auth(u)), 400)
    refused(c.post("/api/token/", json={"name": "past", "expired_time": 1000}, headers=auth(u)), 400)
    refused(c.post("/api/token/", json={"name": "neg", "remain_quota": -5}, headers=auth(u)), 400)
    refused(c.post("/api/token/", json={"name": "grp", "group": "svip"}, headers=auth(u)), 400)  # not offered to users
    assert data(c.post("/api/token/", json={"name": "grp", "group": "vip"}, headers=auth(u)))["group"] == "vip"
    options.update("MaxUserTokens", "2")
    data(c.post("/api/token/", json={"name": "second"}, headers=auth(u)))
    assert "maximum" in refused(c.post("/api/token/", json={"name": "third"}, headers=auth(u)), 400)


def test_delete_and_batch_delete(storage):
    u = make_user("frank")
    c = app_client()
    ids = [data(c.post("/api/token/", json={"name": f"t{i}"}, headers=auth(u)))["id"] for i in range(3)]
    data(c.delete(f"/api/token/{ids[0]}", headers=auth(u)))
    refused(c.get(f"/api/token/{ids[0]}", headers=auth(u)), 404)
    assert data(c.post("/api/token/batch", json={"ids": ids}, headers=auth(u))) == 2
    assert data(c.get("/api/token/", headers=auth(u)))["total"] == 0
    with session_scope() as s:
        assert all(t.deleted_at is not None for t in s.exec(select(Token)).all())


def test_search_by_key(storage):
    u = make_user("gina")
    c = app_client()
    tid = data(c.post("/api/token/", json={"name": "a"}, headers=auth(u)))["id"]
    data(c.post("/api/token/", json={"name": "b"}, headers=auth(u)))
    key = data(c.post(f"/api/token/{tid}/key", headers=auth(u)))["key"]
    found = data(c.get(f"/api/token/search?token={key}", headers=auth(u)))
    assert [t["id"] for t in found["items"]] == [tid]


def test_token_write_invalidates_cache(storage):
    import asyncio

    from backend import cache

    u = make_user("hank")
    c = app_client()
    tid = data(c.post("/api/token/", json={"name": "cached", "unlimited_quota": True}, headers=auth(u)))["id"]
    key = data(c.post(f"/api/token/{tid}/key", headers=auth(u)))["key"].removeprefix("sk-")
    assert asyncio.run(cache.get_token(key)).status == TokenStatus.ENABLED
    data(c.put("/api/token/?status_only=true", json={"id": tid, "status": 2}, headers=auth(u)))
    assert asyncio.run(cache.get_token(key)).status == TokenStatus.DISABLED
    data(c.delete(f"/api/token/{tid}", headers=auth(u)))
    assert asyncio.run(cache.get_token(key)) is None
