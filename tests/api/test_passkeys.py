"""Passkeys over HTTP on every database, each ceremony verified by py_webauthn against a software
authenticator (tests/fakes/authenticator.py): registration, discoverable login (a session, like a
password login), the refusals (another origin, a replayed or missing challenge, a forged
signature, a cloned authenticator, a disabled user), deletion and the admin reset."""

from __future__ import annotations

import base64

import pytest
from fastapi.testclient import TestClient
from mgmt_helpers import app_client, auth, data, make_user, refused
from sqlmodel import select

from backend.db import session_scope
from backend.models import PasskeyCredential, User
from backend.models.enums import Role, UserStatus
from backend.services import options, sessions
from tests.fakes.authenticator import Credential, SoftAuthenticator

ORIGIN = "http://localhost:3000"  # ServerAddress's default: the RP id is "localhost"


@pytest.fixture
def passkeys_on(storage) -> None:
    options.update("passkey.enabled", "true")


def _register(c: TestClient, user: User, device: SoftAuthenticator) -> dict:
    begun = data(c.post("/api/user/passkey/register/begin", headers=auth(user)))
    pk = begun["options"]["publicKey"]
    assert pk["rp"]["id"] == "localhost" and pk["authenticatorSelection"]["residentKey"] == "required"
    return data(c.post("/api/user/passkey/register/finish", json=device.create(begun["options"]), headers=auth(user)))


def _login(c: TestClient, device: SoftAuthenticator, **kw) -> object:
    begun = data(c.post("/api/user/passkey/login/begin"))
    assert "allowCredentials" not in begun["options"]["publicKey"] or not begun["options"]["publicKey"]["allowCredentials"]
    return c.post("/api/user/passkey/login/finish", json=device.get(begun["options"], **kw))


def test_register_then_log_in_with_the_passkey(passkeys_on):
    alice = make_user("alice")
    device = SoftAuthenticator(ORIGIN)
    c = app_client()
    row = _register(c, alice, device)
    assert row["credential_id"] == base64.b64encode(device.credentials[0].credential_id).decode()
    status = data(c.get("/api/user/passkey", headers=auth(alice)))
    assert status["enabled"] is True and len(status["credentials"]) == 1
    with session_scope() as s:
        stored = s.exec(select(PasskeyCredential)).one()
    assert stored.user_id == alice.id and stored.attestation_type == "none" and stored.backup_eligible

    browser = app_client()
    me = data(_login(browser, device))
    assert me["id"] == alice.id and sessions.COOKIE_NAME in browser.cookies
    assert data(browser.get("/api/user/self", headers={"New-Api-User": str(alice.id)}))["username"] == "alice"
    with session_scope() as s:
        stored = s.exec(select(PasskeyCredential)).one()
    assert stored.sign_count == 1 and stored.last_used_at is not None
    # a second passkey of the same user is listed too
    _register(c, alice, SoftAuthenticator(ORIGIN))
    assert len(data(c.get("/api/user/passkey", headers=auth(alice)))["credentials"]) == 2


def test_ceremonies_that_must_fail(passkeys_on):
    bob = make_user("bob")
    device = SoftAuthenticator(ORIGIN)
    c = app_client()
    # another origin (a phishing site) cannot register
    begun = data(c.post("/api/user/passkey/register/begin", headers=auth(bob)))
    refused(c.post("/api/user/passkey/register/finish", json=device.create(begun["options"], origin="https://evil.example"),
                   headers=auth(bob)), 400)
    device.credentials.clear()  # that credential was never stored
    _register(c, bob, device)
    # a finish without a begin, and a replayed finish
    refused(app_client().post("/api/user/passkey/login/finish", json={"response": {}}), 400)
    browser = app_client()
    begun = data(browser.post("/api/user/passkey/login/begin"))
    assertion = device.get(begun["options"])
    ceremony = browser.cookies.get("newapi_passkey")
    data(browser.post("/api/user/passkey/login/finish", json=assertion))
    replay = app_client()
    replay.cookies.set("newapi_passkey", ceremony, path="/api/user/passkey")
    assert "expired" in refused(replay.post("/api/user/passkey/login/finish", json=assertion), 400)
    # a forged signature, and a credential nobody registered
    forger = SoftAuthenticator(ORIGIN)
    forger.credentials = [Credential(rp_id="localhost", user_handle=str(bob.id).encode(),
                                     credential_id=device.credentials[0].credential_id)]
    refused(_login(app_client(), forger), 400)
    stranger = SoftAuthenticator(ORIGIN)
    stranger.credentials = [Credential(rp_id="localhost", user_handle=b"1")]
    refused(_login(app_client(), stranger), 400)
    # a cloned authenticator: its counter goes back
    refused(_login(app_client(), device, sign_count=1), 400)
    # malformed bodies are a 400, not a 500
    refused(app_client().post("/api/user/passkey/login/finish", json=[1, 2]), 400)
    # a disabled user cannot log in with a passkey
    with session_scope() as s:
        s.get(User, bob.id).status = UserStatus.DISABLED
    refused(_login(app_client(), device), 403)


def test_passkeys_off_and_deletion_and_admin_reset(passkeys_on):
    root, admin, other_admin = make_user("root", Role.ROOT), make_user("admin", Role.ADMIN), make_user("a2", Role.ADMIN)
    carol = make_user("carol")
    c = app_client()
    first, second = _register(c, carol, SoftAuthenticator(ORIGIN)), _register(c, carol, SoftAuthenticator(ORIGIN))
    data(c.delete(f"/api/user/passkey?id={first['id']}", headers=auth(carol)))
    assert [p["id"] for p in data(c.get("/api/user/passkey", headers=auth(carol)))["credentials"]] == [second["id"]]
    refused(c.delete(f"/api/user/passkey?id={first['id']}", headers=auth(carol)), 404)
    _register(c, other_admin, SoftAuthenticator(ORIGIN))
    refused(c.delete(f"/api/user/{other_admin.id}/reset_passkey", headers=auth(admin)), 403)
    refused(c.delete(f"/api/user/{carol.id}/reset_passkey", headers=auth(carol)), 403)
    data(c.delete(f"/api/user/{carol.id}/reset_passkey", headers=auth(admin)))
    refused(c.delete(f"/api/user/{carol.id}/reset_passkey", headers=auth(admin)), 400)
    data(c.delete(f"/api/user/{other_admin.id}/reset_passkey", headers=auth(root)))
    assert data(c.get("/api/user/passkey", headers=auth(carol))) == {"enabled": False, "credentials": []}
    options.update("passkey.enabled", "false")
    refused(c.post("/api/user/passkey/login/begin"), 403)
    refused(c.post("/api/user/passkey/register/begin", headers=auth(carol)), 403)


def test_status_reports_the_passkey_settings(passkeys_on):
    status = data(app_client().get("/api/status"))
    assert status["passkey_login"] is True and status["passkey_rp_id"] == "localhost"
    assert status["passkey_origins"] == ORIGIN


def test_an_insecure_origin_is_refused_unless_allowed(passkeys_on):
    dave = make_user("dave")
    options.update("ServerAddress", "http://gateway.example")
    refused(app_client().post("/api/user/passkey/register/begin", headers=auth(dave)), 503)
    options.update("passkey.allow_insecure_origin", "true")
    begun = data(app_client().post("/api/user/passkey/register/begin", headers=auth(dave)))
    assert begun["options"]["publicKey"]["rp"]["id"] == "gateway.example"
