"""TOTP two-factor over HTTP with real codes (pyotp), on every database: setup and enable, a login
that needs the second step, backup codes good once, codes never replayed, the lock after five wrong
codes, disable, regenerated backup codes, admin reset and stats."""

from __future__ import annotations

import time

import pyotp
import pytest
from fastapi.testclient import TestClient
from mgmt_helpers import PASSWORD, app_client, auth, data, make_user, refused
from sqlmodel import select

from backend.db import session_scope
from backend.models import TwoFA, TwoFABackupCode
from backend.models.enums import Role
from backend.services import sessions, twofa, twofa_login


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> dict[str, float]:
    """The 2FA service's clock, one second into a 30-second step, moved by the tests."""
    t = {"now": (int(time.time()) // 30) * 30 + 1.0}
    monkeypatch.setattr(twofa, "_clock", lambda: t["now"])
    return t


def _code(secret: str, clock: dict[str, float], steps: int = 0) -> str:
    return pyotp.TOTP(secret).at(clock["now"] + steps * 30)


def _enable(user, clock) -> tuple[str, list[str]]:
    """2FA set up and switched on for the user; returns the secret and the backup codes."""
    c = app_client()
    setup = data(c.post("/api/user/2fa/setup", headers=auth(user)))
    data(c.post("/api/user/2fa/enable", json={"code": _code(setup["secret"], clock)}, headers=auth(user)))
    clock["now"] += 30  # the next code is a new one
    return setup["secret"], setup["backup_codes"]


def _password_step(c: TestClient, username: str) -> dict:
    return data(c.post("/api/user/login", json={"username": username, "password": PASSWORD}))


def test_setup_enable_then_login_needs_the_second_step(storage, clock):
    alice = make_user("alice")
    c = app_client()
    setup = data(c.post("/api/user/2fa/setup", headers=auth(alice)))
    secret = setup["secret"]
    assert setup["qr_code_data"].startswith("otpauth://totp/") and f"secret={secret}" in setup["qr_code_data"]
    assert len(setup["backup_codes"]) == 4 and all(len(b) == 9 and b[4] == "-" for b in setup["backup_codes"])
    assert data(c.get("/api/user/2fa/status", headers=auth(alice))) == {"enabled": False, "locked": False}
    # a pending setup does not change the login yet
    assert "require_2fa" not in _password_step(app_client(), "alice")

    refused(c.post("/api/user/2fa/enable", json={"code": "12345"}, headers=auth(alice)), 400)
    wrong = f"{(int(_code(secret, clock)) + 1) % 1_000_000:06d}"
    refused(c.post("/api/user/2fa/enable", json={"code": wrong}, headers=auth(alice)), 400)
    data(c.post("/api/user/2fa/enable", json={"code": _code(secret, clock)}, headers=auth(alice)))
    status = data(c.get("/api/user/2fa/status", headers=auth(alice)))
    assert status == {"enabled": True, "locked": False, "backup_codes_remaining": 4}
    refused(c.post("/api/user/2fa/setup", headers=auth(alice)), 400)  # on: disable first

    browser = app_client()
    reply = browser.post("/api/user/login", json={"username": "alice", "password": PASSWORD})
    step = data(reply)
    assert step["require_2fa"] is True and step["expires_at"] > time.time()
    assert sessions.COOKIE_NAME not in browser.cookies  # no session before the second step
    assert twofa_login.COOKIE_NAME in browser.cookies
    assert "id" not in step and "username" not in step
    refused(browser.get("/api/user/self", headers={"New-Api-User": str(alice.id)}), 401)

    clock["now"] += 30
    refused(browser.post("/api/user/login/2fa", json={"code": wrong}), 400)
    me = data(browser.post("/api/user/login/2fa", json={"code": _code(secret, clock)}))
    assert me["id"] == alice.id and sessions.COOKIE_NAME in browser.cookies
    assert twofa_login.COOKIE_NAME not in browser.cookies
    assert data(browser.get("/api/user/self", headers={"New-Api-User": str(alice.id)}))["username"] == "alice"


def test_a_totp_code_is_accepted_once(storage, clock):
    bob = make_user("bob")
    secret, _ = _enable(bob, clock)
    code = _code(secret, clock)
    first, second = app_client(), app_client()
    _password_step(first, "bob")
    _password_step(second, "bob")
    data(first.post("/api/user/login/2fa", json={"code": code}))
    refused(second.post("/api/user/login/2fa", json={"code": code}), 400)  # the same code again
    # the previous step's code is older than the used one: refused too; the next step's is fresh
    refused(second.post("/api/user/login/2fa", json={"code": _code(secret, clock, -1)}), 400)
    data(second.post("/api/user/login/2fa", json={"code": _code(secret, clock, +1)}))


def test_each_backup_code_works_once(storage, clock):
    carol = make_user("carol")
    _, backups = _enable(carol, clock)
    c = app_client()
    _password_step(c, "carol")
    data(c.post("/api/user/login/2fa", json={"code": backups[0].lower().replace("-", "")}))  # any spelling
    again = app_client()
    _password_step(again, "carol")
    refused(again.post("/api/user/login/2fa", json={"code": backups[0]}), 400)
    data(again.post("/api/user/login/2fa", json={"code": backups[1]}))
    assert data(again.get("/api/user/2fa/status", headers=auth(carol)))["backup_codes_remaining"] == 2
    with session_scope() as s:
        hashes = [r.code_hash for r in s.exec(select(TwoFABackupCode)).all()]
    assert all(b not in h for b in backups for h in hashes)  # stored hashed


def test_five_wrong_codes_lock_the_second_factor_for_a_while(storage, clock):
    dave = make_user("dave")
    secret, _ = _enable(dave, clock)
    c = app_client()
    _password_step(c, "dave")
    for _ in range(twofa.MAX_FAIL_ATTEMPTS):
        refused(c.post("/api/user/login/2fa", json={"code": "000000" if _code(secret, clock) != "000000"
                                                    else "111111"}), 400)
    # locked: even the right code is refused, and the status says so
    refused(c.post("/api/user/login/2fa", json={"code": _code(secret, clock)}), 429)
    assert data(c.get("/api/user/2fa/status", headers=auth(dave)))["locked"] is True
    clock["now"] += twofa.LOCKOUT_SECONDS + 1
    fresh = app_client()
    _password_step(fresh, "dave")
    assert data(fresh.post("/api/user/login/2fa", json={"code": _code(secret, clock)}))["id"] == dave.id


def test_the_flow_token_is_bound_to_the_login_and_used_once(storage, clock):
    erin = make_user("erin")
    secret, _ = _enable(erin, clock)
    refused(app_client().post("/api/user/login/2fa", json={"code": _code(secret, clock)}), 401)  # no flow
    token = _password_step(app_client(), "erin")["flow_token"]
    refused(app_client().post("/api/user/login/2fa", json={"code": _code(secret, clock), "flow_token": token + "x"}), 401)
    # an API client sends the token in the body (new-api's flow_token)
    api = app_client()
    data(api.post("/api/user/login/2fa", json={"code": _code(secret, clock), "flow_token": token}))
    clock["now"] += 30
    refused(app_client().post("/api/user/login/2fa", json={"code": _code(secret, clock), "flow_token": token}), 401)
    # a password change voids a pending login
    pending = _password_step(app_client(), "erin")["flow_token"]
    data(api.put("/api/user/self", json={"password": "new-password-1", "original_password": PASSWORD},
                 headers={"New-Api-User": str(erin.id)}))
    refused(app_client().post("/api/user/login/2fa", json={"code": _code(secret, clock), "flow_token": pending}), 401)


def test_disable_and_regenerate_backup_codes(storage, clock):
    fay = make_user("fay")
    secret, backups = _enable(fay, clock)
    c = app_client()
    refused(c.post("/api/user/2fa/backup_codes", json={"code": backups[0]}, headers=auth(fay)), 400)  # TOTP only
    fresh = data(c.post("/api/user/2fa/backup_codes", json={"code": _code(secret, clock)}, headers=auth(fay)))
    new_codes = fresh["backup_codes"]
    assert len(new_codes) == 4 and not set(new_codes) & set(backups)
    clock["now"] += 30
    refused(c.post("/api/user/2fa/disable", json={"code": backups[2]}, headers=auth(fay)), 400)  # old code
    data(c.post("/api/user/2fa/disable", json={"code": new_codes[0]}, headers=auth(fay)))
    assert data(c.get("/api/user/2fa/status", headers=auth(fay))) == {"enabled": False, "locked": False}
    assert "require_2fa" not in _password_step(app_client(), "fay")
    with session_scope() as s:
        assert s.exec(select(TwoFA)).all() == [] and s.exec(select(TwoFABackupCode)).all() == []


def test_admin_reset_and_stats(storage, clock):
    root = make_user("root", Role.ROOT)
    admin = make_user("admin", Role.ADMIN)
    other_admin = make_user("admin2", Role.ADMIN)
    gus = make_user("gus")
    _enable(gus, clock)
    _enable(other_admin, clock)
    c = app_client()
    stats = data(c.get("/api/user/2fa/stats", headers=auth(admin)))
    assert stats == {"total_users": 4, "enabled_users": 2, "enabled_rate": "50.0%"}
    refused(c.get("/api/user/2fa/stats", headers=auth(gus)), 403)
    refused(c.delete(f"/api/user/{other_admin.id}/2fa", headers=auth(admin)), 403)  # same role
    refused(c.delete(f"/api/user/{root.id}/2fa", headers=auth(admin)), 403)
    refused(c.delete(f"/api/user/{gus.id}/2fa", headers=auth(gus)), 403)
    data(c.delete(f"/api/user/{gus.id}/2fa", headers=auth(admin)))
    refused(c.delete(f"/api/user/{gus.id}/2fa", headers=auth(admin)), 400)  # already off
    data(c.delete(f"/api/user/{other_admin.id}/2fa", headers=auth(root)))
    refused(c.delete("/api/user/999/2fa", headers=auth(root)), 404)
    assert "require_2fa" not in _password_step(app_client(), "gus")
    assert data(c.get("/api/user/2fa/stats", headers=auth(root)))["enabled_users"] == 0
