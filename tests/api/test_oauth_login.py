"""Social login over the management API against a fake provider over real HTTP: the state, the
OIDC and GitHub flows (login, registration, bind), and the refusals, on every database."""

from __future__ import annotations

import pytest
from mgmt_helpers import PASSWORD, app_client, data, make_user, refused
from sqlmodel import select

from backend.db import session_scope
from backend.models import User
from backend.services import options, sessions
from tests.fakes.oauth_provider import CLIENT_ID, CLIENT_SECRET, FakeOAuthProvider

SERVER = "https://console.example.com"


@pytest.fixture
def fake(storage):
    with FakeOAuthProvider() as provider:
        options.update("ServerAddress", SERVER)
        yield provider


def _oidc(fake: FakeOAuthProvider, *, discovery: bool = False) -> None:
    options.update("oidc.client_id", CLIENT_ID)
    options.update("oidc.client_secret", CLIENT_SECRET)
    if discovery:
        options.update("oidc.well_known", f"{fake.url}/.well-known/openid-configuration")
    else:
        options.update("oidc.authorization_endpoint", f"{fake.url}/authorize")
        options.update("oidc.token_endpoint", f"{fake.url}/token")
        options.update("oidc.user_info_endpoint", f"{fake.url}/userinfo")
    options.update("oidc.enabled", "true")


def _github(fake: FakeOAuthProvider, monkeypatch: pytest.MonkeyPatch) -> None:
    from backend.config import reset_settings

    monkeypatch.setenv("GITHUB_OAUTH_BASE", fake.url)
    monkeypatch.setenv("GITHUB_API_BASE", fake.url)
    reset_settings()
    options.update("GitHubClientId", CLIENT_ID)
    options.update("GitHubClientSecret", CLIENT_SECRET)
    options.update("GitHubOAuthEnabled", "true")


def _state(client, aff: str = "") -> str:
    return data(client.get("/api/oauth/state", params={"aff": aff} if aff else None))


def _users() -> list[User]:
    with session_scope() as s:
        return list(s.exec(select(User).order_by(User.id)).all())


def test_oidc_registers_then_logs_in_the_same_sub(fake):
    _oidc(fake)
    browser = app_client()
    fake.accounts["code-1"] = {"sub": "oidc-sub-1", "email": "Ann@Example.com", "preferred_username": "ann",
                               "name": "Ann Lee"}
    state = _state(browser)
    assert len(state) == 12
    me = data(browser.get("/api/oauth/oidc", params={"code": "code-1", "state": state}))
    assert {"id", "username", "display_name", "role", "status", "group"} <= me.keys()
    assert (me["username"], me["display_name"], me["role"], me["status"]) == ("ann", "Ann Lee", 1, 1)

    # the exchange posted exactly new-api's form, redirect_uri on ServerAddress
    form = fake.token_requests[-1].form
    assert form["client_id"] == CLIENT_ID and form["client_secret"] == CLIENT_SECRET
    assert (form["code"], form["grant_type"], form["redirect_uri"]) == (
        "code-1", "authorization_code", f"{SERVER}/oauth/oidc")

    # a real session: the cookie opens /api/user/self, and it is server-side
    assert browser.cookies.get(sessions.COOKIE_NAME)
    assert data(browser.get("/api/user/self", headers={"New-Api-User": str(me["id"])}))["oidc_id"] == "oidc-sub-1"

    # the same sub, in another browser, is the same user; no second account
    other = app_client()
    fake.accounts["code-2"] = {"sub": "oidc-sub-1", "email": "ann@example.com", "preferred_username": "x"}
    again = data(other.get("/api/oauth/oidc", params={"code": "code-2", "state": _state(other)}))
    assert again["id"] == me["id"]
    assert [u.username for u in _users()] == ["ann"]
    assert _users()[0].email == "ann@example.com"


def test_oidc_endpoints_from_the_discovery_document(fake):
    _oidc(fake, discovery=True)
    browser = app_client()
    fake.accounts["c"] = {"sub": "s-9", "email": "d@example.com"}
    me = data(browser.get("/api/oauth/oidc", params={"code": "c", "state": _state(browser)}))
    assert me["username"] == "oidc_1"  # no preferred_username: <prefix><max id + 1>
    assert fake.token_requests[-1].path == "/token"


def test_a_wrong_foreign_or_used_state_is_refused_before_any_token_exchange(fake):
    _oidc(fake)
    alice_browser, mallory = app_client(), app_client()
    fake.accounts["code-1"] = {"sub": "s1", "email": "a@example.com"}

    refused(alice_browser.get("/api/oauth/oidc", params={"code": "code-1", "state": "nope"}), 403)
    refused(alice_browser.get("/api/oauth/oidc", params={"code": "code-1"}), 403)
    # a state issued to another browser does not work here
    foreign = _state(mallory)
    refused(alice_browser.get("/api/oauth/oidc", params={"code": "code-1", "state": foreign}), 403)
    # no browser cookie at all
    refused(app_client().get("/api/oauth/oidc", params={"code": "code-1", "state": foreign}), 403)
    assert fake.token_requests == [] and fake.userinfo_requests == 0

    state = _state(alice_browser)
    data(alice_browser.get("/api/oauth/oidc", params={"code": "code-1", "state": state}))
    fake.accounts["code-2"] = {"sub": "s1", "email": "a@example.com"}
    refused(alice_browser.get("/api/oauth/oidc", params={"code": "code-2", "state": state}), 403)  # used once
    assert len(fake.token_requests) == 1


def test_registration_off_or_provider_off_creates_nobody(fake):
    _oidc(fake)
    options.update("RegisterEnabled", "false")
    browser = app_client()
    fake.accounts["c1"] = {"sub": "new-person", "email": "n@example.com"}
    message = refused(browser.get("/api/oauth/oidc", params={"code": "c1", "state": _state(browser)}), 403)
    assert "registration" in message
    assert _users() == []
    assert sessions.COOKIE_NAME not in browser.cookies

    options.update("RegisterEnabled", "true")
    options.update("oidc.enabled", "false")
    fake.accounts["c2"] = {"sub": "new-person", "email": "n@example.com"}
    refused(browser.get("/api/oauth/oidc", params={"code": "c2", "state": _state(browser)}), 403)
    assert _users() == []


def test_the_provider_refusing_the_code_or_omitting_the_email_is_a_clear_4xx(fake):
    _oidc(fake)
    browser = app_client()
    message = refused(browser.get("/api/oauth/oidc", params={"code": "unknown", "state": _state(browser)}), 400)
    assert "refused" in message and "bad code" not in message
    fake.accounts["c"] = {"sub": "s"}  # no email: new-api requires one
    refused(browser.get("/api/oauth/oidc", params={"code": "c", "state": _state(browser)}), 400)
    refused(browser.get("/api/oauth/nosuch", params={"code": "c", "state": _state(browser)}), 400)
    assert _users() == []


def test_a_disabled_users_oidc_login_is_refused(fake):
    _oidc(fake)
    user = make_user("banned", status=2)
    with session_scope() as s:
        row = s.get(User, user.id)
        row.oidc_id = "sub-b"
        s.add(row)
    browser = app_client()
    fake.accounts["c"] = {"sub": "sub-b", "email": "b@example.com"}
    refused(browser.get("/api/oauth/oidc", params={"code": "c", "state": _state(browser)}), 403)
    assert sessions.COOKIE_NAME not in browser.cookies


def test_github_login_registers_with_invite_and_binds_for_a_session(fake, monkeypatch):
    _github(fake, monkeypatch)
    options.update("QuotaForInviter", "7")
    options.update("QuotaForInvitee", "5")
    inviter = make_user("inviter")
    browser = app_client()
    fake.accounts["g1"] = {"id": 4242, "login": "octo", "name": "Octo Cat", "email": None}
    me = data(browser.get("/api/oauth/github", params={"code": "g1", "state": _state(browser, inviter.aff_code)}))
    assert me["username"] == "octo" and me["github_id"] == "4242"
    assert fake.token_requests[-1].path == "/login/oauth/access_token"
    with session_scope() as s:
        assert s.get(User, me["id"]).inviter_id == inviter.id
        assert s.get(User, me["id"]).quota == 5
        assert s.get(User, inviter.id).aff_quota == 7

    # a logged-in user binding: the session decides, and the account is bound, not logged into
    bob = make_user("bob")
    bob_browser = app_client()
    data(bob_browser.post("/api/user/login", json={"username": "bob", "password": PASSWORD}))
    fake.accounts["g2"] = {"id": 77, "login": "bobgh"}
    body = bob_browser.get("/api/oauth/github", params={"code": "g2", "state": _state(bob_browser)}).json()
    assert body["success"] is True and body["data"] == {"action": "bind"}
    with session_scope() as s:
        assert s.get(User, bob.id).github_id == "77"

    # the same GitHub account cannot be bound to a second user
    fake.accounts["g3"] = {"id": 4242, "login": "octo"}
    message = refused(bob_browser.get("/api/oauth/github", params={"code": "g3", "state": _state(bob_browser)}), 400)
    assert "already bound" in message
    with session_scope() as s:
        assert s.get(User, bob.id).github_id == "77"

    # an old One API row that stored the login migrates to the numeric id on login
    legacy = make_user("legacy")
    with session_scope() as s:
        row = s.get(User, legacy.id)
        row.github_id = "oldlogin"
        s.add(row)
    fake.accounts["g4"] = {"id": 999, "login": "oldlogin"}
    fresh = app_client()
    again = data(fresh.get("/api/oauth/github", params={"code": "g4", "state": _state(fresh)}))
    assert again["id"] == legacy.id
    with session_scope() as s:
        assert s.get(User, legacy.id).github_id == "999"


def test_username_collision_falls_back_to_the_prefix_rule(fake, monkeypatch):
    _github(fake, monkeypatch)
    make_user("octo")
    browser = app_client()
    fake.accounts["g"] = {"id": 1, "login": "octo"}
    me = data(browser.get("/api/oauth/github", params={"code": "g", "state": _state(browser)}))
    assert me["username"] == "github_2"


def test_status_reports_the_providers(fake):
    _oidc(fake)
    status = data(app_client().get("/api/status"))
    assert status["oidc_enabled"] is True and status["oidc_client_id"] == CLIENT_ID
    assert status["oidc_authorization_endpoint"] == f"{fake.url}/authorize"
    assert status["discord_oauth"] is False and "linuxdo_minimum_trust_level" in status
    assert status["custom_oauth_providers"] == []
    assert "oidc.client_secret" not in str(status) and CLIENT_SECRET not in str(status)
