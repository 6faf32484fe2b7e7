"""Custom OAuth providers and bindings over the management API, on every database: root-only CRUD
without the secret, the whole custom flow against a fake provider, the user's and the admin's
binding routes, and clearing a built-in binding."""

from __future__ import annotations

import json

import pytest
from mgmt_helpers import app_client, auth, data, make_user, refused

from backend.db import session_scope
from backend.models import User
from backend.models.enums import Role
from backend.services import options
from tests.fakes.oauth_provider import CLIENT_ID, CLIENT_SECRET, FakeOAuthProvider


@pytest.fixture
def fake(storage):
    with FakeOAuthProvider() as provider:
        options.update("ServerAddress", "http://gw.test")
        yield provider


def _provider_body(fake: FakeOAuthProvider, **over: object) -> dict:
    body = {
        "name": "Corp SSO", "slug": "corp", "enabled": True, "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET, "authorization_endpoint": f"{fake.url}/authorize",
        "token_endpoint": f"{fake.url}/token", "user_info_endpoint": f"{fake.url}/userinfo",
        "user_id_field": "data.uid", "username_field": "data.login", "display_name_field": "data.name",
        "email_field": "data.mail", "auth_style": 2,
    }
    body.update(over)
    return body


def test_custom_provider_crud_is_root_only_and_never_shows_the_secret(fake):
    root, admin = make_user("root", Role.ROOT), make_user("admin", Role.ADMIN)
    c = app_client()
    refused(c.get("/api/custom-oauth-provider/", headers=auth(admin)), 403)
    created = data(c.post("/api/custom-oauth-provider/", json=_provider_body(fake), headers=auth(root)))
    assert created["slug"] == "corp" and "client_secret" not in created
    assert CLIENT_SECRET not in json.dumps(data(c.get("/api/custom-oauth-provider/", headers=auth(root))))
    refused(c.post("/api/custom-oauth-provider/", json=_provider_body(fake), headers=auth(root)), 400)  # slug taken
    refused(c.post("/api/custom-oauth-provider/", json=_provider_body(fake, slug="github"), headers=auth(root)), 400)
    refused(c.post("/api/custom-oauth-provider/", json=_provider_body(fake, slug="Bad Slug"), headers=auth(root)), 400)
    refused(c.post("/api/custom-oauth-provider/", json=_provider_body(fake, slug="x", token_endpoint=""),
                   headers=auth(root)), 400)
    updated = data(c.put(f"/api/custom-oauth-provider/{created['id']}", json={"name": "Corp"}, headers=auth(root)))
    assert updated["name"] == "Corp" and updated["token_endpoint"] == f"{fake.url}/token"
    found = data(c.post("/api/custom-oauth-provider/discovery",
                        json={"issuer_url": fake.url}, headers=auth(root)))
    assert found["discovery"]["token_endpoint"] == f"{fake.url}/token"
    assert [p["slug"] for p in data(c.get("/api/status"))["custom_oauth_providers"]] == ["corp"]
    data(c.delete(f"/api/custom-oauth-provider/{created['id']}", headers=auth(root)))
    refused(c.get(f"/api/custom-oauth-provider/{created['id']}", headers=auth(root)), 404)


def test_custom_provider_flow_bindings_and_admin_routes(fake):
    root = make_user("root", Role.ROOT)
    admin = make_user("admin", Role.ADMIN)
    pid = data(app_client().post("/api/custom-oauth-provider/", json=_provider_body(fake), headers=auth(root)))["id"]

    browser = app_client()
    fake.accounts["k1"] = {"data": {"uid": 501, "login": "carol", "name": "Carol", "mail": "carol@corp.io"}}
    state = data(browser.get("/api/oauth/state"))
    me = data(browser.get("/api/oauth/corp", params={"code": "k1", "state": state}))
    assert me["username"] == "carol"
    assert fake.token_requests[-1].headers["authorization"].startswith("Basic ")  # auth_style 2
    assert fake.token_requests[-1].form["redirect_uri"] == "http://gw.test/oauth/corp"
    headers = {"New-Api-User": str(me["id"])}
    bindings = data(browser.get("/api/user/oauth/bindings", headers=headers))
    assert bindings == [{"provider_id": pid, "provider_name": "Corp SSO", "provider_slug": "corp",
                         "provider_icon": "", "provider_user_id": "501"}]

    # the same external id logs into the same account
    fake.accounts["k2"] = {"data": {"uid": 501, "login": "other"}}
    again = app_client()
    assert data(again.get("/api/oauth/corp", params={"code": "k2", "state": data(again.get("/api/oauth/state"))}))[
        "id"] == me["id"]

    # a provider with users bound cannot be deleted
    refused(app_client().delete(f"/api/custom-oauth-provider/{pid}", headers=auth(root)), 400)

    # the admin sees and removes it; an admin cannot touch root's
    c = app_client()
    assert len(data(c.get(f"/api/user/{me['id']}/oauth/bindings", headers=auth(admin)))) == 1
    refused(c.get(f"/api/user/{root.id}/oauth/bindings", headers=auth(admin)), 403)
    data(c.delete(f"/api/user/{me['id']}/oauth/bindings/{pid}", headers=auth(admin)))
    assert data(browser.get("/api/user/oauth/bindings", headers=headers)) == []

    # rebinding through the flow while logged in, then the user unbinds it themself
    fake.accounts["k3"] = {"data": {"uid": 501}}
    body = browser.get("/api/oauth/corp", params={"code": "k3", "state": data(browser.get("/api/oauth/state"))})
    assert body.json()["data"] == {"action": "bind"}
    data(browser.delete(f"/api/user/oauth/bindings/{pid}", headers=headers))
    assert data(browser.get("/api/user/oauth/bindings", headers=headers)) == []


def test_access_policy_refuses_and_a_disabled_provider_is_refused(fake):
    root = make_user("root", Role.ROOT)
    policy = json.dumps({"logic": "and", "conditions": [{"field": "data.groups", "op": "contains", "value": "staff"}]})
    pid = data(app_client().post("/api/custom-oauth-provider/", headers=auth(root), json=_provider_body(
        fake, access_policy=policy, access_denied_message="{{provider}}: staff only")))["id"]
    browser = app_client()
    fake.accounts["x"] = {"data": {"uid": 1, "groups": ["guest"]}}
    assert refused(browser.get("/api/oauth/corp", params={"code": "x", "state": data(browser.get("/api/oauth/state"))}),
                   403) == "Corp SSO: staff only"
    fake.accounts["y"] = {"data": {"uid": 2, "groups": ["staff"]}}
    data(browser.get("/api/oauth/corp", params={"code": "y", "state": data(browser.get("/api/oauth/state"))}))
    data(app_client().put(f"/api/custom-oauth-provider/{pid}", json={"enabled": False}, headers=auth(root)))
    fake.accounts["z"] = {"data": {"uid": 3, "groups": ["staff"]}}
    refused(browser.get("/api/oauth/corp", params={"code": "z", "state": data(browser.get("/api/oauth/state"))}), 403)
    bad = _provider_body(fake, slug="bad", access_policy='{"logic": "xor", "conditions": []}')
    refused(app_client().post("/api/custom-oauth-provider/", json=bad, headers=auth(root)), 400)


def test_clearing_built_in_bindings(storage):
    root, admin = make_user("root", Role.ROOT), make_user("admin", Role.ADMIN)
    bob = make_user("bob")
    with session_scope() as s:
        row = s.get(User, bob.id)
        row.github_id, row.telegram_id = "11", "22"
        s.add(row)
    c = app_client()
    refused(c.delete(f"/api/user/{bob.id}/bindings/nonsense", headers=auth(admin)), 400)
    refused(c.delete(f"/api/user/{root.id}/bindings/github", headers=auth(admin)), 403)
    data(c.delete(f"/api/user/{bob.id}/bindings/github", headers=auth(admin)))
    # bob unbinds telegram himself: refused, it is his last way in besides the password
    refused(c.delete("/api/user/bindings/telegram", headers=auth(bob)), 400)
    with session_scope() as s:
        row = s.get(User, bob.id)
        assert (row.github_id, row.telegram_id) == ("", "22")
        row.email = "bob@example.com"
        s.add(row)
    data(c.delete("/api/user/bindings/telegram", headers=auth(bob)))
    with session_scope() as s:
        assert s.get(User, bob.id).telegram_id == ""


def test_email_bind_needs_the_mailed_code_once(storage):
    from backend.services import verification

    bob, carol = make_user("bob"), make_user("carol")
    code = verification.issue(verification.EMAIL_CODE, "bob@example.com")
    c = app_client()
    refused(c.post("/api/oauth/email/bind", json={"email": "bob@example.com", "code": "000000"}, headers=auth(bob)), 400)
    data(c.post("/api/oauth/email/bind", params={"email": "bob@example.com", "code": code}, headers=auth(bob)))
    with session_scope() as s:
        assert s.get(User, bob.id).email == "bob@example.com"
    refused(c.post("/api/oauth/email/bind", json={"email": "bob@example.com", "code": code}, headers=auth(carol)), 400)
    refused(app_client().post("/api/oauth/email/bind", json={"email": "x@example.com", "code": code}), 401)
