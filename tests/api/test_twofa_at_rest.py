"""The TOTP secret at rest (sealed with CRYPTO_SECRET, new-api's plain rows still read), and the
single use of a 2FA flow token through Redis, shared by instances."""

from __future__ import annotations

import time

import pyotp
import pytest
from mgmt_helpers import PASSWORD, app_client, auth, data, make_user, refused
from sqlmodel import select

from backend.config import reset_settings
from backend.db import session_scope
from backend.models import TwoFA
from backend.services import once, twofa, twofa_secret


def test_the_secret_is_sealed_when_crypto_secret_is_set(storage, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("CRYPTO_SECRET", "a-stable-crypto-secret")
    reset_settings()
    alice = make_user("alice")
    c = app_client()
    secret = data(c.post("/api/user/2fa/setup", headers=auth(alice)))["secret"]
    with session_scope() as s:
        stored = s.exec(select(TwoFA.secret)).one()
    assert stored.startswith(twofa_secret.PREFIX) and secret not in stored
    data(c.post("/api/user/2fa/enable", json={"code": pyotp.TOTP(secret).now()}, headers=auth(alice)))
    # another CRYPTO_SECRET cannot open it: a clear refusal, never a 500
    monkeypatch.setenv("CRYPTO_SECRET", "another-secret")
    reset_settings()
    login = app_client()
    token = data(login.post("/api/user/login", json={"username": "alice", "password": PASSWORD}))["flow_token"]
    assert "CRYPTO_SECRET" in refused(login.post("/api/user/login/2fa", json={"code": "123456", "flow_token": token}), 409)


def test_a_plain_secret_written_by_new_api_still_works(storage):
    bob = make_user("bob")
    secret = pyotp.random_base32()
    with session_scope() as s:
        s.add(TwoFA(user_id=bob.id, secret=secret, is_enabled=True))
    c = app_client()
    token = data(c.post("/api/user/login", json={"username": "bob", "password": PASSWORD}))["flow_token"]
    me = data(c.post("/api/user/login/2fa", json={"code": pyotp.TOTP(secret).now(), "flow_token": token}))
    assert me["username"] == "bob"


def test_a_flow_token_is_single_use_across_instances_with_redis(sqlite_storage, redis_url, monkeypatch):
    carol = make_user("carol")
    secret = pyotp.random_base32()
    with session_scope() as s:
        s.add(TwoFA(user_id=carol.id, secret=secret, is_enabled=True))
    token = data(app_client().post("/api/user/login", json={"username": "carol", "password": PASSWORD}))["flow_token"]
    now = [(int(time.time()) // 30) * 30 + 1.0]
    monkeypatch.setattr(twofa, "_clock", lambda: now[0])
    data(app_client().post("/api/user/login/2fa", json={"code": pyotp.TOTP(secret).at(now[0]), "flow_token": token}))
    now[0] += 30
    # another instance: its own memory is empty, Redis remembers the token was used
    once._seen.clear()
    refused(app_client().post("/api/user/login/2fa",
                              json={"code": pyotp.TOTP(secret).at(now[0]), "flow_token": token}), 401)
