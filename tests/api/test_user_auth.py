import json

from mgmt_helpers import PASSWORD, app_client, auth, data, make_user, refused
from sqlmodel import select

from backend.auth.passwords import verify_password
from backend.db import log_session_scope, session_scope
from backend.models import Log, Token, User
from backend.models.enums import LogType, Role, UserStatus
from backend.services import options


def test_login_sets_strict_httponly_cookie_and_hides_secrets(storage):
    user = make_user("alice")
    c = app_client()
    r = c.post("/api/user/login", json={"username": "alice", "password": PASSWORD})
    body = data(r)
    assert body["id"] == user.id and body["username"] == "alice"
    assert "password" not in body and "access_token" not in body
    cookie = r.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie and "session=" in cookie

    # The cookie alone is not enough: the New-Api-User header must name the same user.
    refused(c.get("/api/user/self"), 401)
    refused(c.get("/api/user/self", headers={"New-Api-User": str(user.id + 1)}), 401)
    me = data(c.get("/api/user/self", headers={"New-Api-User": str(user.id)}))
    assert me["username"] == "alice" and "password" not in me and "access_token" not in me

    data(c.get("/api/user/logout"))
    refused(c.get("/api/user/self", headers={"New-Api-User": str(user.id)}), 401)


def test_login_failures_are_generic(storage):
    make_user("bob")
    c = app_client()
    wrong = refused(c.post("/api/user/login", json={"username": "bob", "password": "wrong-password"}), 400)
    missing = refused(c.post("/api/user/login", json={"username": "nobody", "password": "wrong-password"}), 400)
    assert wrong == missing
    make_user("banned", status=UserStatus.DISABLED)
    refused(c.post("/api/user/login", json={"username": "banned", "password": PASSWORD}), 403)
    options.update("PasswordLoginEnabled", "false")
    refused(c.post("/api/user/login", json={"username": "bob", "password": PASSWORD}), 403)


def test_login_by_email(storage):
    make_user("carol")
    with session_scope() as s:
        u = s.exec(select(User).where(User.username == "carol")).one()
        u.email = "carol@example.com"
        s.add(u)
    data(app_client().post("/api/user/login", json={"username": "carol@example.com", "password": PASSWORD}))


def test_ban_and_demotion_apply_on_the_next_request(storage):
    root = make_user("root", Role.ROOT)
    admin = make_user("adm", Role.ADMIN)
    c = app_client()
    c.post("/api/user/login", json={"username": "adm", "password": PASSWORD})
    cookie_headers = {"New-Api-User": str(admin.id)}
    data(c.get("/api/user/", headers=cookie_headers))

    root_client = app_client()
    data(root_client.post("/api/user/manage", json={"id": admin.id, "action": "demote"}, headers=auth(root)))
    refused(c.get("/api/user/", headers=cookie_headers), 403)  # same cookie, no admin rights any more
    data(c.get("/api/user/self", headers=cookie_headers))

    # Status is read fresh on every request, whatever the session says.
    with session_scope() as s:
        s.get(User, admin.id).status = UserStatus.DISABLED
    refused(c.get("/api/user/self", headers=cookie_headers), 403)
    with session_scope() as s:
        s.get(User, admin.id).status = UserStatus.ENABLED
    data(c.get("/api/user/self", headers=cookie_headers))

    # A ban through the API also ends the user's sessions: enabling them again opens nothing.
    data(root_client.post("/api/user/manage", json={"id": admin.id, "action": "disable"}, headers=auth(root)))
    refused(c.get("/api/user/self", headers=cookie_headers), 401)
    refused(root_client.get("/api/user/self", headers=auth(admin)), 403)
    data(root_client.post("/api/user/manage", json={"id": admin.id, "action": "enable"}, headers=auth(root)))
    refused(c.get("/api/user/self", headers=cookie_headers), 401)


def test_register_with_invite_credits_both_sides(storage):
    options.update("QuotaForNewUser", "1000")
    options.update("QuotaForInvitee", "200")
    options.update("QuotaForInviter", "300")
    inviter = make_user("inviter")
    c = app_client()
    new = data(c.post("/api/user/register",
                      json={"username": "newbie", "password": "newbie-pass", "aff_code": inviter.aff_code}))
    assert new["quota"] == 1200 and new["inviter_id"] == inviter.id
    assert len(new["aff_code"]) == 4 and new["aff_code"].isalnum()
    with session_scope() as s:
        inv = s.get(User, inviter.id)
        assert (inv.aff_count, inv.aff_quota, inv.aff_history_quota, inv.quota) == (1, 300, 300, 0)
        created = s.exec(select(User).where(User.username == "newbie")).one()
        assert verify_password("newbie-pass", created.password)
    data(c.post("/api/user/login", json={"username": "newbie", "password": "newbie-pass"}))


def test_register_rules(storage):
    make_user("taken")
    c = app_client()
    assert "taken" in refused(c.post("/api/user/register", json={"username": "taken", "password": "long-enough"}), 400)
    refused(c.post("/api/user/register", json={"username": "shorty", "password": "short"}), 400)
    refused(c.post("/api/user/register", json={"username": "longpw", "password": "x" * 21}), 400)
    # An unknown invite code is ignored, not an error.
    assert data(c.post("/api/user/register",
                       json={"username": "noinv", "password": "long-enough", "aff_code": "zzzz"}))["inviter_id"] == 0
    options.update("RegisterEnabled", "false")
    refused(c.post("/api/user/register", json={"username": "late", "password": "long-enough"}), 403)
    options.update("RegisterEnabled", "true")
    options.update("PasswordRegisterEnabled", "false")
    refused(c.post("/api/user/register", json={"username": "late", "password": "long-enough"}), 403)


def test_soft_deleted_username_cannot_be_reused(storage):
    gone = make_user("ghost")
    c = app_client()
    data(c.delete("/api/user/self", headers=auth(gone)))
    refused(c.get("/api/user/self", headers=auth(gone)), 401)
    refused(c.post("/api/user/login", json={"username": "ghost", "password": PASSWORD}), 400)
    refused(c.post("/api/user/register", json={"username": "ghost", "password": "long-enough"}), 400)


def test_root_cannot_delete_itself(storage):
    root = make_user("root", Role.ROOT)
    refused(app_client().delete("/api/user/self", headers=auth(root)), 403)


def test_update_self_needs_original_password(storage):
    u = make_user("dave")
    c = app_client()
    refused(c.put("/api/user/self", json={"password": "brand-new-pw", "original_password": "nope-nope"},
                  headers=auth(u)), 400)
    out = data(c.put("/api/user/self", json={"password": "brand-new-pw", "original_password": PASSWORD,
                                            "display_name": "Dave"}, headers=auth(u)))
    assert out["display_name"] == "Dave"
    data(c.post("/api/user/login", json={"username": "dave", "password": "brand-new-pw"}))


def test_access_token_rotation(storage):
    u = make_user("erin")
    c = app_client()
    new = data(c.get("/api/user/token", headers=auth(u)))
    assert isinstance(new, str) and len(new) == 32 and new != u.access_token
    refused(c.get("/api/user/self", headers=auth(u)), 401)  # the old PAT is dead
    data(c.get("/api/user/self", headers={"Authorization": new, "New-Api-User": str(u.id)}))


def test_aff_groups_models_and_setting(storage):
    u = make_user("frank", group="svip")
    c = app_client()
    assert data(c.get("/api/user/aff", headers=auth(u))) == u.aff_code
    groups = data(c.get("/api/user/self/groups", headers=auth(u)))
    assert set(groups) == {"default", "vip", "svip"} and groups["vip"]["ratio"] == 1.0
    assert data(c.get("/api/user/groups", headers=auth(u))) == groups
    assert data(c.get("/api/user/models", headers=auth(u))) == []

    refused(c.put("/api/user/setting", json={"notify_type": "webhook"}, headers=auth(u)), 400)
    refused(c.put("/api/user/setting", json={"notify_type": "sms"}, headers=auth(u)), 400)
    saved = data(c.put("/api/user/setting", json={
        "notify_type": "webhook", "webhook_url": "https://hooks.example/x", "webhook_secret": "shh",
        "quota_warning_threshold": 5000}, headers=auth(u)))
    assert "webhook_secret" not in saved and saved["webhook_url"] == "https://hooks.example/x"
    with session_scope() as s:
        stored = json.loads(s.get(User, u.id).setting)
    assert stored["webhook_secret"] == "shh" and stored["quota_warning_threshold"] == 5000
    assert "shh" not in c.get("/api/user/self", headers=auth(u)).text


def test_generate_default_token_on_register(storage, monkeypatch):
    from backend.config import reset_settings

    monkeypatch.setenv("GENERATE_DEFAULT_TOKEN", "true")
    reset_settings()
    new = data(app_client().post("/api/user/register", json={"username": "withkey", "password": "long-enough"}))
    with session_scope() as s:
        toks = s.exec(select(Token).where(Token.user_id == new["id"])).all()
    assert len(toks) == 1 and toks[0].unlimited_quota and len(toks[0].key) == 48


def test_register_bonus_is_logged(storage):
    options.update("QuotaForNewUser", "777")
    new = data(app_client().post("/api/user/register", json={"username": "logged", "password": "long-enough"}))
    with log_session_scope() as s:
        rows = s.exec(select(Log).where(Log.user_id == new["id"])).all()
    assert [r.type for r in rows] == [LogType.SYSTEM]


def test_aff_transfer_over_http(storage):
    u = make_user("rich")
    with session_scope() as s:
        row = s.get(User, u.id)
        row.aff_quota = 600_000
        s.add(row)
    c = app_client()
    refused(c.post("/api/user/aff_transfer", json={"quota": 1000}, headers=auth(u)), 400)
    data(c.post("/api/user/aff_transfer", json={"quota": 500_000}, headers=auth(u)))
    me = data(c.get("/api/user/self", headers=auth(u)))
    assert (me["quota"], me["aff_quota"]) == (500_000, 100_000)
    refused(c.post("/api/user/aff_transfer", json={"quota": 500_000}, headers=auth(u)), 400)
