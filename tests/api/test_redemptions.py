import threading
import time

from mgmt_helpers import app_client, auth, data, make_user, refused
from sqlmodel import select

from backend.db import log_session_scope, session_scope
from backend.models import Log, Redemption, User
from backend.models.enums import LogType, RedemptionStatus, Role


def _admin():
    return make_user("admin", Role.ADMIN)


def test_create_list_search_get(storage):
    admin = _admin()
    c = app_client()
    keys = data(c.post("/api/redemption/", json={"name": "promo", "quota": 5000, "count": 3}, headers=auth(admin)))
    assert len(keys) == 3 and len(set(keys)) == 3 and all(len(k) == 32 for k in keys)
    page = data(c.get("/api/redemption/?p=1&page_size=2", headers=auth(admin)))
    assert page["total"] == 3 and len(page["items"]) == 2
    assert data(c.get("/api/redemption/search?keyword=promo", headers=auth(admin)))["total"] == 3
    assert data(c.get(f"/api/redemption/search?keyword={keys[0]}", headers=auth(admin)))["items"][0]["key"] == keys[0]
    one = page["items"][0]
    assert data(c.get(f"/api/redemption/{one['id']}", headers=auth(admin)))["quota"] == 5000
    refused(c.get("/api/redemption/", headers=auth(make_user("pleb"))), 403)


def test_create_limits(storage):
    admin = _admin()
    c = app_client()
    refused(c.post("/api/redemption/", json={"name": "x", "quota": 1, "count": 101}, headers=auth(admin)), 400)
    refused(c.post("/api/redemption/", json={"name": "x", "quota": 1, "count": 0}, headers=auth(admin)), 400)
    refused(c.post("/api/redemption/", json={"name": "", "quota": 1, "count": 1}, headers=auth(admin)), 400)
    refused(c.post("/api/redemption/", json={"name": "y" * 21, "quota": 1, "count": 1}, headers=auth(admin)), 400)
    refused(c.post("/api/redemption/", json={"name": "z", "quota": 0, "count": 1}, headers=auth(admin)), 400)
    assert len(data(c.post("/api/redemption/", json={"name": "max", "quota": 1, "count": 100},
                           headers=auth(admin)))) == 100


def test_redeem_credits_once_and_logs(storage):
    admin, user = _admin(), make_user("alice", quota=10)
    c = app_client()
    key = data(c.post("/api/redemption/", json={"name": "gift", "quota": 2500, "count": 1}, headers=auth(admin)))[0]
    assert data(c.post("/api/user/topup", json={"key": key}, headers=auth(user))) == 2500
    refused(c.post("/api/user/topup", json={"key": key}, headers=auth(user)), 400)
    refused(c.post("/api/user/topup", json={"key": "nope"}, headers=auth(user)), 400)
    with session_scope() as s:
        assert s.get(User, user.id).quota == 2510
        r = s.exec(select(Redemption).where(Redemption.key == key)).one()
        assert (r.status, r.used_user_id) == (RedemptionStatus.USED, user.id) and r.redeemed_time > 0
    with log_session_scope() as s:
        logs = s.exec(select(Log).where(Log.user_id == user.id)).all()
    assert [entry.type for entry in logs] == [LogType.TOPUP]


def test_disabled_and_expired_codes_cannot_be_redeemed(storage):
    admin, user = _admin(), make_user("bob")
    c = app_client()
    key = data(c.post("/api/redemption/", json={"name": "off", "quota": 100, "count": 1}, headers=auth(admin)))[0]
    rid = data(c.get(f"/api/redemption/search?keyword={key}", headers=auth(admin)))["items"][0]["id"]
    data(c.put("/api/redemption/?status_only=true", json={"id": rid, "status": 2}, headers=auth(admin)))
    refused(c.post("/api/user/topup", json={"key": key}, headers=auth(user)), 400)
    with session_scope() as s:
        s.add(Redemption(key="e" * 32, name="old", quota=100, status=1, expired_time=int(time.time()) - 5))
    assert "expired" in refused(c.post("/api/user/topup", json={"key": "e" * 32}, headers=auth(user)), 400)
    with session_scope() as s:
        assert s.get(User, user.id).quota == 0


def test_concurrent_redemption_credits_exactly_once(storage):
    admin = _admin()
    users = [make_user(f"racer{i}") for i in range(6)]
    c = app_client()
    key = data(c.post("/api/redemption/", json={"name": "race", "quota": 1000, "count": 1}, headers=auth(admin)))[0]
    barrier = threading.Barrier(len(users) * 2)
    results: list[bool] = []

    def go(u) -> None:
        barrier.wait()
        results.append(c.post("/api/user/topup", json={"key": key}, headers=auth(u)).json()["success"])

    threads = [threading.Thread(target=go, args=(u,)) for u in users for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results.count(True) == 1
    with session_scope() as s:
        assert sum(s.get(User, u.id).quota for u in users) == 1000
    with log_session_scope() as s:
        assert len(s.exec(select(Log).where(Log.type == LogType.TOPUP)).all()) == 1


def test_update_delete_and_delete_invalid(storage):
    admin, user = _admin(), make_user("carol")
    c = app_client()
    keys = data(c.post("/api/redemption/", json={"name": "batch", "quota": 10, "count": 4}, headers=auth(admin)))
    items = {r["key"]: r for r in data(c.get("/api/redemption/?page_size=10", headers=auth(admin)))["items"]}
    used, disabled, deleted, kept = (items[k]["id"] for k in keys)
    data(c.post("/api/user/topup", json={"key": keys[0]}, headers=auth(user)))
    refused(c.put("/api/redemption/?status_only=true", json={"id": used, "status": 1}, headers=auth(admin)), 400)
    data(c.put("/api/redemption/?status_only=true", json={"id": disabled, "status": 2}, headers=auth(admin)))
    out = data(c.put("/api/redemption/", json={"id": kept, "name": "renamed", "quota": 99}, headers=auth(admin)))
    assert (out["name"], out["quota"]) == ("renamed", 99)
    data(c.delete(f"/api/redemption/{deleted}", headers=auth(admin)))
    refused(c.get(f"/api/redemption/{deleted}", headers=auth(admin)), 404)
    assert data(c.delete("/api/redemption/invalid", headers=auth(admin))) == 2
    remaining = data(c.get("/api/redemption/", headers=auth(admin)))["items"]
    assert [r["id"] for r in remaining] == [kept]
