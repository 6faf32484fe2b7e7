import pytest
from mgmt_helpers import app_client, auth, data, make_user, refused
from sqlmodel import select

from backend.db import log_session_scope, session_scope
from backend.models import Log, Token, User
from backend.models.enums import LogType, Role, UserStatus


@pytest.fixture
def people(storage):
    return {
        "root": make_user("root", Role.ROOT),
        "admin": make_user("admin", Role.ADMIN),
        "admin2": make_user("admin2", Role.ADMIN),
        "user": make_user("user"),
        "user2": make_user("user2"),
    }


# (actor, target, action) -> expected HTTP status
MATRIX = [
    ("user", "user2", "disable", 403),  # not an admin at all
    ("admin", "user", "disable", 200),
    ("admin", "user", "enable", 200),
    ("admin", "user", "demote", 400),  # already common
    ("admin", "user", "promote", 403),  # only root promotes
    ("admin", "admin2", "disable", 403),  # equal role
    ("admin", "admin2", "demote", 403),
    ("admin", "root", "disable", 403),  # higher role
    ("admin", "user", "delete", 200),
    ("root", "user", "promote", 200),
    ("root", "admin", "demote", 200),
    ("root", "admin", "promote", 400),  # already admin
    ("root", "admin", "disable", 200),
    ("root", "root", "disable", 403),  # root is immune
    ("root", "root", "delete", 403),
    ("root", "root", "demote", 403),
    ("root", "user", "explode", 400),
]


@pytest.mark.parametrize(("actor", "target", "action", "status"), MATRIX)
def test_manage_role_rules(people, actor, target, action, status):
    r = app_client().post("/api/user/manage", json={"id": people[target].id, "action": action},
                          headers=auth(people[actor]))
    assert r.status_code == status, r.json()
    with session_scope() as s:
        after = s.get(User, people[target].id)
    before = people[target]
    if status != 200:
        assert (after.role, after.status, after.deleted_at) == (before.role, before.status, None)
        return
    expected = {
        "disable": lambda u: u.status == UserStatus.DISABLED,
        "enable": lambda u: u.status == UserStatus.ENABLED,
        "delete": lambda u: u.deleted_at is not None,
        "promote": lambda u: u.role == Role.ADMIN,
        "demote": lambda u: u.role == Role.COMMON,
    }[action]
    assert expected(after)


def test_list_search_get(people):
    c = app_client()
    admin = auth(people["admin"])
    page = data(c.get("/api/user/?p=1&page_size=2", headers=admin))
    assert page["total"] == 5 and page["page"] == 1 and page["page_size"] == 2 and len(page["items"]) == 2
    assert all("password" not in u and "access_token" not in u for u in page["items"])
    assert len(data(c.get("/api/user/?p=3&page_size=2", headers=admin))["items"]) == 1
    found = data(c.get("/api/user/search?keyword=user", headers=admin))["items"]
    assert {u["username"] for u in found} == {"user", "user2"}
    by_id = data(c.get(f"/api/user/search?keyword={people['user2'].id}", headers=admin))["items"]
    assert people["user2"].id in [u["id"] for u in by_id]
    assert data(c.get("/api/user/search?keyword=&group=vip", headers=admin))["total"] == 0
    assert data(c.get(f"/api/user/{people['user'].id}", headers=admin))["username"] == "user"
    refused(c.get(f"/api/user/{people['admin2'].id}", headers=admin), 403)
    refused(c.get("/api/user/99999", headers=admin), 404)
    refused(c.get("/api/user/", headers=auth(people["user"])), 403)


def test_soft_deleted_users_still_listed_for_admins(people):
    c = app_client()
    data(c.post("/api/user/manage", json={"id": people["user"].id, "action": "delete"}, headers=auth(people["root"])))
    items = data(c.get("/api/user/?page_size=100", headers=auth(people["root"])))["items"]
    gone = next(u for u in items if u["id"] == people["user"].id)
    assert gone["deleted_at"] is not None


def test_create_user(people):
    c = app_client()
    made = data(c.post("/api/user/", json={"username": "fresh", "password": "fresh-pass1", "display_name": "F"},
                       headers=auth(people["admin"])))
    assert made["role"] == Role.COMMON and made["display_name"] == "F"
    refused(c.post("/api/user/", json={"username": "boss", "password": "fresh-pass1", "role": Role.ADMIN},
                   headers=auth(people["admin"])), 403)
    refused(c.post("/api/user/", json={"username": "fresh", "password": "fresh-pass1"}, headers=auth(people["admin"])),
            400)
    refused(c.post("/api/user/", json={"username": "weak", "password": "1234"}, headers=auth(people["admin"])), 400)
    data(c.post("/api/user/login", json={"username": "fresh", "password": "fresh-pass1"}))


def test_update_quota_writes_manage_log(people):
    c = app_client()
    target = people["user"]
    out = data(c.put("/api/user/", json={"id": target.id, "quota": 123456, "group": "vip", "display_name": "U"},
                     headers=auth(people["admin"])))
    assert out["quota"] == 123456 and out["group"] == "vip"
    with log_session_scope() as s:
        logs = s.exec(select(Log).where(Log.user_id == target.id)).all()
    assert [entry.type for entry in logs] == [LogType.MANAGE]
    assert "admin" in logs[0].content
    refused(c.put("/api/user/", json={"id": target.id, "group": "nonexistent"}, headers=auth(people["admin"])), 400)
    refused(c.put("/api/user/", json={"id": people["root"].id, "quota": 1}, headers=auth(people["admin"])), 403)
    refused(c.put("/api/user/", json={"id": target.id, "quota": -1}, headers=auth(people["admin"])), 400)


def test_hard_delete(people):
    c = app_client()
    user = people["user"]
    with session_scope() as s:
        s.add(Token(user_id=user.id, key="k" * 48, name="t"))
    data(c.delete(f"/api/user/{user.id}", headers=auth(people["admin"])))
    with session_scope() as s:
        assert s.get(User, user.id) is None
        assert s.exec(select(Token).where(Token.user_id == user.id)).first() is None
    refused(c.delete(f"/api/user/{people['root'].id}", headers=auth(people["admin"])), 403)
    refused(c.delete(f"/api/user/{people['root'].id}", headers=auth(people["root"])), 403)
    refused(c.delete(f"/api/user/{people['admin2'].id}", headers=auth(people["admin"])), 403)
