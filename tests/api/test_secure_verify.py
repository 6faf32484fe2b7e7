"""`POST /api/verify` before a sensitive action (revealing a channel key), as new-api: a 2FA code or
a finished passkey check verifies this login session for 5 minutes; an access token alone cannot."""

from __future__ import annotations

import time

import pyotp
import pytest
from fastapi.testclient import TestClient
from mgmt_helpers import PASSWORD, app_client, auth, data, make_user, refused
from sqlalchemy import update

from backend.db import session_scope
from backend.models import Channel, User, UserSession
from backend.models.enums import Role
from backend.services import options, secure_verification, sessions, twofa
from tests.fakes.authenticator import SoftAuthenticator

KEY = "sk-upstream-secret"


@pytest.fixture
def channel_id(storage) -> int:
    with session_scope() as s:
        row = Channel(name="main", key=KEY, type=1, models="gpt-4o", group="default")
        s.add(row)
        s.flush()
        return row.id


def _session(user: User) -> tuple[TestClient, dict[str, str]]:
    c = app_client()
    reply = data(c.post("/api/user/login", json={"username": user.username, "password": PASSWORD}))
    assert "require_2fa" not in reply
    return c, {"New-Api-User": str(user.id)}


def test_a_2fa_code_verifies_the_session_for_five_minutes(channel_id, monkeypatch):
    root = make_user("root", Role.ROOT)
    c, h = _session(root)
    refused(c.post("/api/verify", json={"method": "2fa", "code": "123456"}, headers=h), 400)  # nothing to verify with
    now = [(int(time.time()) // 30) * 30 + 1.0]
    monkeypatch.setattr(twofa, "_clock", lambda: now[0])
    secret = data(c.post("/api/user/2fa/setup", headers=h))["secret"]
    data(c.post("/api/user/2fa/enable", json={"code": pyotp.TOTP(secret).at(now[0])}, headers=h))
    now[0] += 30

    reply = c.post(f"/api/channel/{channel_id}/key", headers=h)
    refused(reply, 403)
    assert reply.json()["code"] == "VERIFICATION_REQUIRED" and KEY not in reply.text
    refused(c.post("/api/verify", json={"method": "2fa", "code": "000000"}, headers=h), 400)
    refused(c.post("/api/verify", json={"method": "sms", "code": "1"}, headers=h), 400)
    verified = data(c.post("/api/verify", json={"method": "2fa", "code": pyotp.TOTP(secret).at(now[0])}, headers=h))
    assert verified["verified"] is True and verified["expires_at"] > time.time() + 290
    assert data(c.post(f"/api/channel/{channel_id}/key", headers=h)) == {"key": KEY}

    # another session of the same user is not verified, nor is the access token alone
    other, oh = _session_after_2fa(root, secret, now)
    refused(other.post(f"/api/channel/{channel_id}/key", headers=oh), 403)
    refused(app_client().post(f"/api/channel/{channel_id}/key", headers=auth(root)), 403)
    refused(app_client().post("/api/verify", json={"method": "2fa", "code": "123456"}, headers=auth(root)), 400)

    # five minutes later it has expired
    with session_scope() as s:
        s.execute(update(UserSession).where(UserSession.id == sessions.session_id(c.cookies[sessions.COOKIE_NAME]))
                  .values(verified_at=int(time.time()) - secure_verification.VERIFIED_SECONDS))
    reply = c.post(f"/api/channel/{channel_id}/key", headers=h)
    assert reply.status_code == 403 and reply.json()["code"] == "VERIFICATION_EXPIRED"


def _session_after_2fa(user: User, secret: str, now: list[float]) -> tuple[TestClient, dict[str, str]]:
    now[0] += 30
    c = app_client()
    data(c.post("/api/user/login", json={"username": user.username, "password": PASSWORD}))
    data(c.post("/api/user/login/2fa", json={"code": pyotp.TOTP(secret).at(now[0])}))
    return c, {"New-Api-User": str(user.id)}


def test_a_passkey_check_verifies_the_session(channel_id):
    options.update("passkey.enabled", "true")
    root = make_user("root", Role.ROOT)
    c, h = _session(root)
    device = SoftAuthenticator("http://localhost:3000")
    begun = data(c.post("/api/user/passkey/register/begin", headers=h))
    data(c.post("/api/user/passkey/register/finish", json=device.create(begun["options"]), headers=h))

    refused(c.post("/api/verify", json={"method": "passkey"}, headers=h), 400)  # no passkey check yet
    begun = data(c.post("/api/user/passkey/verify/begin", headers=h))
    assert begun["options"]["publicKey"]["allowCredentials"]
    data(c.post("/api/user/passkey/verify/finish", json=device.get(begun["options"]), headers=h))
    data(c.post("/api/verify", json={"method": "passkey"}, headers=h))
    assert data(c.post(f"/api/channel/{channel_id}/key", headers=h)) == {"key": KEY}
    # the passkey check counted once
    refused(c.post("/api/verify", json={"method": "passkey"}, headers=h), 400)
    # someone else's passkey cannot verify this user
    eve = make_user("eve")
    ec, eh = _session(eve)
    other = SoftAuthenticator("http://localhost:3000")
    begun = data(ec.post("/api/user/passkey/register/begin", headers=eh))
    data(ec.post("/api/user/passkey/register/finish", json=other.create(begun["options"]), headers=eh))
    begun = data(c.post("/api/user/passkey/verify/begin", headers=h))
    refused(c.post("/api/user/passkey/verify/finish", json=other.get(begun["options"]), headers=h), 400)
