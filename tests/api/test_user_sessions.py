"""Login sessions over the management API, on every database: a session names more than a user id,
ids are never handed out twice, and logout / password changes / resets / bans end sessions."""

from __future__ import annotations

from fastapi.testclient import TestClient
from mgmt_helpers import PASSWORD, app_client, auth, data, make_user, refused
from sqlmodel import select

from backend.config import reset_settings
from backend.db import session_scope
from backend.main import create_app
from backend.models import User, UserSession
from backend.models.enums import Role
from backend.services import sessions, verification


def _login(username: str, password: str = PASSWORD, client: TestClient | None = None) -> tuple[TestClient, dict]:
    """A fresh client (its own cookie jar) logged in as the user; returns it and its headers."""
    c = client or app_client()
    me = data(c.post("/api/user/login", json={"username": username, "password": password}))
    return c, {"New-Api-User": str(me["id"])}


def _cookie(c: TestClient) -> str:
    return c.cookies[sessions.COOKIE_NAME]


def _replay(cookie: str, user_id: int) -> TestClient:
    """A client that only carries a copied cookie (what a thief would replay)."""
    c = app_client()
    c.cookies.set(sessions.COOKIE_NAME, cookie)
    c.headers["New-Api-User"] = str(user_id)
    return c


def _session_count(user_id: int) -> int:
    with session_scope() as s:
        return len(s.exec(select(UserSession).where(UserSession.user_id == user_id)).all())


def test_ids_of_a_deleted_newest_user_and_token_are_never_reused(storage):
    root = make_user("root", Role.ROOT)
    anon = app_client()
    data(anon.post("/api/user/register", json={"username": "first", "password": "first-pass"}))
    old, old_headers = _login("first", "first-pass")
    old_id = int(old_headers["New-Api-User"])
    data(old.post("/api/token/", json={"name": "k", "remain_quota": 100}, headers=old_headers))
    [old_token] = data(old.get("/api/token/", headers=old_headers))["items"]
    old_cookie = _cookie(old)

    # the newest user and its (newest) token are deleted for good, then someone registers
    data(app_client().delete(f"/api/user/{old_id}", headers=auth(root)))
    data(anon.post("/api/user/register", json={"username": "second", "password": "second-pass"}))
    new, new_headers = _login("second", "second-pass")
    new_id = int(new_headers["New-Api-User"])
    data(new.post("/api/token/", json={"name": "k", "remain_quota": 100}, headers=new_headers))
    [new_token] = data(new.get("/api/token/", headers=new_headers))["items"]

    assert new_id > old_id and new_token["id"] > old_token["id"]
    # the deleted user's cookie opens nothing, whichever id it is presented with
    refused(_replay(old_cookie, old_id).get("/api/user/self"), 401)
    refused(_replay(old_cookie, new_id).get("/api/user/self"), 401)
    assert data(new.get("/api/user/self", headers=new_headers))["username"] == "second"


def test_the_cookie_is_a_random_secret_stored_only_hashed(storage):
    alice = make_user("alice")
    c, headers = _login("alice")
    cookie = _cookie(c)
    assert str(alice.id) not in cookie and len(cookie) >= 43
    with session_scope() as s:
        [row] = s.exec(select(UserSession)).all()
    assert row.user_id == alice.id and cookie not in row.id and row.expires_at - row.created_at == sessions.MAX_AGE
    # a second login is a second session, not the same cookie
    c2, _ = _login("alice")
    assert _cookie(c2) != cookie and _session_count(alice.id) == 2


def test_logout_ends_the_session_on_the_server(storage):
    alice = make_user("alice")
    c, headers = _login("alice")
    other, _ = _login("alice")
    cookie = _cookie(c)
    data(c.get("/api/user/self", headers=headers))
    logout = c.get("/api/user/logout")
    data(logout)
    assert 'session=""' in logout.headers["set-cookie"] or "max-age=0" in logout.headers["set-cookie"].lower()
    refused(_replay(cookie, alice.id).get("/api/user/self"), 401)
    # only that session: the other browser stays logged in
    data(other.get("/api/user/self", headers=headers))
    assert _session_count(alice.id) == 1


def test_password_change_ends_other_sessions_keeps_this_one_and_clears_the_token(storage):
    alice = make_user("alice")
    here, headers = _login("alice")
    elsewhere, _ = _login("alice")
    stolen = _cookie(elsewhere)
    data(here.get("/api/user/self", headers=auth(alice)))  # the access token works before

    # a name change alone ends nothing
    data(here.put("/api/user/self", json={"display_name": "Alice"}, headers=headers))
    data(elsewhere.get("/api/user/self", headers=headers))

    data(here.put("/api/user/self", json={"password": "brand-new-pass", "original_password": PASSWORD},
                  headers=headers))
    data(here.get("/api/user/self", headers=headers))
    refused(elsewhere.get("/api/user/self", headers=headers), 401)
    refused(_replay(stolen, alice.id).get("/api/user/self"), 401)
    refused(app_client().get("/api/user/self", headers=auth(alice)), 401)
    with session_scope() as s:
        assert s.get(User, alice.id).access_token is None
    assert _session_count(alice.id) == 1


def test_admin_password_reset_ends_every_session_and_the_token(storage):
    root = make_user("root", Role.ROOT)
    alice = make_user("alice")
    one, headers = _login("alice")
    two, _ = _login("alice")
    root_client, root_headers = _login("root")
    data(root_client.put("/api/user/", json={"id": alice.id, "password": "admin-chosen-1"}, headers=root_headers))
    for c in (one, two):
        refused(c.get("/api/user/self", headers=headers), 401)
    refused(app_client().get("/api/user/self", headers=auth(alice)), 401)
    assert _session_count(alice.id) == 0
    # other edits by the admin end nothing; the admin's own session is untouched
    three, _ = _login("alice", "admin-chosen-1")
    data(root_client.put("/api/user/", json={"id": alice.id, "display_name": "A"}, headers=root_headers))
    data(three.get("/api/user/self", headers=headers))
    data(root_client.get("/api/user/self", headers=root_headers))
    assert root.id != alice.id


def test_reset_by_email_link_ends_sessions_and_the_token(storage):
    alice = make_user("alice")
    with session_scope() as s:
        s.get(User, alice.id).email = "alice@example.com"
    c, headers = _login("alice")
    token = verification.issue(verification.PASSWORD_RESET, "alice@example.com")
    password = data(app_client().post("/api/user/reset", json={"email": "alice@example.com", "token": token}))
    refused(c.get("/api/user/self", headers=headers), 401)
    refused(app_client().get("/api/user/self", headers=auth(alice)), 401)
    _login("alice", password)


def test_deleting_oneself_or_being_deleted_ends_sessions(storage):
    root = make_user("root", Role.ROOT)
    alice, bob = make_user("alice"), make_user("bob")
    a, a_headers = _login("alice")
    a_cookie = _cookie(a)
    data(a.delete("/api/user/self", headers=a_headers))
    refused(_replay(a_cookie, alice.id).get("/api/user/self"), 401)
    b, b_headers = _login("bob")
    data(app_client().post("/api/user/manage", json={"id": bob.id, "action": "delete"}, headers=auth(root)))
    refused(b.get("/api/user/self", headers=b_headers), 401)
    assert _session_count(alice.id) == _session_count(bob.id) == 0


def test_expired_sessions_are_refused_and_purged(storage):
    alice = make_user("alice")
    old = sessions.start(alice.id, now=1_700_000_000)
    live = sessions.start(alice.id)
    refused(_replay(old, alice.id).get("/api/user/self"), 401)
    data(_replay(live, alice.id).get("/api/user/self"))
    assert sessions.purge_expired() == 1
    assert _session_count(alice.id) == 1


def test_cookie_is_secure_over_https_and_when_forced(storage, monkeypatch):
    make_user("alice")
    body = {"username": "alice", "password": PASSWORD}
    plain = app_client().post("/api/user/login", json=body).headers["set-cookie"].lower()
    assert "httponly" in plain and "samesite=strict" in plain and "secure" not in plain
    with TestClient(create_app(with_lifespan=False), base_url="https://testserver") as tls:
        cookie = tls.post("/api/user/login", json=body).headers["set-cookie"].lower()
        assert "secure" in cookie and "httponly" in cookie and "samesite=strict" in cookie
        assert "secure" in tls.get("/api/user/logout").headers["set-cookie"].lower()
    monkeypatch.setenv("SESSION_COOKIE_SECURE", "true")
    reset_settings()
    assert "secure" in app_client().post("/api/user/login", json=body).headers["set-cookie"].lower()
