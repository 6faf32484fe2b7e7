"""Email codes and password reset over real HTTP routes and a real (loopback) SMTP server."""

import asyncio
import re
import time
from urllib.parse import parse_qs, urlparse

import pytest
from mgmt_helpers import PASSWORD, app_client, data, make_user, refused
from sqlmodel import select

from backend import lifecycle
from backend.config import reset_settings
from backend.db import session_scope
from backend.models import User
from backend.services import options, verification
from tests.smtp_sink import SmtpSink, body_text


@pytest.fixture
def smtp(storage):
    with SmtpSink() as sink:
        sink.configure_options()
        yield sink


def _set_email(username: str, email: str) -> None:
    with session_scope() as s:
        user = s.exec(select(User).where(User.username == username)).one()
        user.email = email
        s.add(user)


def _link_params(msg) -> dict[str, str]:
    link = re.search(r"https?://[^\s\"<]+/user/reset\?[^\s\"<]+", body_text(msg)).group(0)
    assert link.startswith("https://gw.example.com/user/reset?")
    return {k: v[0] for k, v in parse_qs(urlparse(link.replace("&amp;", "&")).query).items()}


def test_reset_mail_link_resets_once(smtp):
    options.update("ServerAddress", "https://gw.example.com/")
    make_user("alice")
    _set_email("alice", "alice@example.com")
    with app_client() as c:
        data(c.get("/api/reset_password", params={"email": "alice@example.com"}))
        [msg] = smtp.wait_for(1)
        assert msg["To"] == "alice@example.com" and "noreply@example.com" in msg["From"]
        params = _link_params(msg)
        assert params["email"] == "alice@example.com" and re.fullmatch(r"[0-9a-f]{32}", params["token"])

        refused(c.post("/api/user/reset", json={"email": "alice@example.com", "token": "0" * 32}), 400)
        refused(c.post("/api/user/reset", json={"email": "bob@example.com", "token": params["token"]}), 400)
        password = data(c.post("/api/user/reset", json=params))
        assert isinstance(password, str) and 8 <= len(password) <= 20
        # single use: the same link a second time is refused
        assert "expired" in refused(c.post("/api/user/reset", json=params), 400)
        data(c.post("/api/user/login", json={"username": "alice", "password": password}))
        refused(c.post("/api/user/login", json={"username": "alice", "password": PASSWORD}), 400)


def test_reset_token_expires_after_ten_minutes(smtp, monkeypatch):
    make_user("carol")
    _set_email("carol", "carol@example.com")
    token = verification.issue(verification.PASSWORD_RESET, "carol@example.com")
    start = time.time()
    monkeypatch.setattr(verification, "_now", lambda: start + verification.TTL_SECONDS + 1)
    with app_client() as c:
        refused(c.post("/api/user/reset", json={"email": "carol@example.com", "token": token}), 400)
    monkeypatch.setattr(verification, "_now", lambda: start + verification.TTL_SECONDS - 5)
    assert verification.consume(verification.PASSWORD_RESET, "carol@example.com", token)


def test_reset_does_not_reveal_whether_the_email_exists(smtp):
    make_user("dave")
    _set_email("dave", "dave@example.com")
    with app_client() as c:
        known = c.get("/api/reset_password", params={"email": "dave@example.com"})
        unknown = c.get("/api/reset_password", params={"email": "nobody@example.com"})
        assert known.status_code == unknown.status_code == 200 and known.json() == unknown.json()
        smtp.wait_for(1)
    # The work done after the answer: an unknown address gets no mail and no token.
    asyncio.run(verification._mail_reset_link("nobody@example.com"))
    assert [m["To"] for m in smtp.messages] == ["dave@example.com"]
    refused(app_client().get("/api/reset_password", params={"email": "not-an-email"}), 400)


def test_mail_routes_refuse_clearly_without_smtp(storage):
    c = app_client()
    assert "SMTP" in refused(c.get("/api/reset_password", params={"email": "x@example.com"}), 503)
    assert "SMTP" in refused(c.get("/api/verification", params={"email": "x@example.com"}), 503)


def test_mail_and_reset_routes_are_under_the_critical_limit(sqlite_storage, monkeypatch):
    monkeypatch.setenv("CRITICAL_RATE_LIMIT_ENABLE", "true")
    monkeypatch.setenv("CRITICAL_RATE_LIMIT", "1")
    monkeypatch.setenv("CRITICAL_RATE_LIMIT_DURATION", "600")
    reset_settings()
    lifecycle.reset_process_state()
    try:
        for method, path in [("GET", "/api/verification"), ("GET", "/api/reset_password"), ("POST", "/api/user/reset")]:
            c = app_client()
            first = c.request(method, path, json={} if method == "POST" else None)
            assert first.status_code == 400  # refused for its input, but counted
            refused(c.request(method, path, json={} if method == "POST" else None), 429)
            lifecycle.reset_process_state()
    finally:
        reset_settings()


def test_register_needs_the_mailed_code_when_verification_is_on(smtp):
    options.update("EmailVerificationEnabled", "true")
    with app_client() as c:
        data(c.get("/api/verification", params={"email": "eve@example.com"}))
        [msg] = smtp.wait_for(1)
        code = re.search(r"<strong>([0-9a-f]{6})</strong>", body_text(msg)).group(1)
        body = {"username": "eve", "password": "eve-password", "email": "eve@example.com"}
        assert "code" in refused(c.post("/api/user/register", json=body), 400)
        wrong = "0" * 6 if code != "0" * 6 else "1" * 6
        refused(c.post("/api/user/register", json=body | {"verification_code": wrong}), 400)
        refused(c.post("/api/user/register", json={"username": "eve", "password": "eve-password"}), 400)
        user = data(c.post("/api/user/register", json=body | {"verification_code": code}))
        assert user["email"] == "eve@example.com"
        # used up, and the address is now taken
        refused(c.post("/api/user/register", json=body | {"username": "eve2", "verification_code": code}), 400)
        # A taken address gets the same answer as a free one (no enumeration), and no code.
        data(c.get("/api/verification", params={"email": "eve@example.com"}))
    asyncio.run(verification._mail_email_code("eve@example.com"))
    assert len(smtp.messages) == 1


def test_a_refused_registration_keeps_the_code(smtp):
    options.update("EmailVerificationEnabled", "true")
    make_user("taken")
    code = verification.issue(verification.EMAIL_CODE, "fay@example.com")
    body = {"username": "taken", "password": "fay-password", "email": "fay@example.com", "verification_code": code}
    with app_client() as c:
        refused(c.post("/api/user/register", json=body), 400)
        data(c.post("/api/user/register", json=body | {"username": "fay"}))


def test_register_without_verification_needs_no_code(storage):
    data(app_client().post("/api/user/register", json={"username": "gus", "password": "gus-password"}))


def test_verification_address_checks(smtp):
    options.update("EmailDomainRestrictionEnabled", "true")
    options.update("EmailDomainWhitelist", "gmail.com,example.com")
    options.update("EmailAliasRestrictionEnabled", "true")
    with app_client() as c:  # one event loop for the whole test: the mail is sent after the answer
        assert "domain" in refused(c.get("/api/verification", params={"email": "x@evil.test"}), 400)
        assert "alias" in refused(c.get("/api/verification", params={"email": "x+1@gmail.com"}), 400)
        assert "alias" in refused(c.get("/api/verification", params={"email": "x.y@gmail.com"}), 400)
        refused(c.get("/api/verification", params={"email": "nonsense"}), 400)
        data(c.get("/api/verification", params={"email": "xy@example.com"}))
        assert smtp.wait_for(1)[0]["To"] == "xy@example.com"


def test_codes_in_redis_are_shared_and_single_use(sqlite_storage, redis_url, monkeypatch):
    code = verification.issue(verification.EMAIL_CODE, "Hal@Example.com")
    assert re.fullmatch(r"[0-9a-f]{6}", code)
    lifecycle.reset_process_state()  # another process: nothing in memory, same Redis
    assert verification.check(verification.EMAIL_CODE, "hal@example.com", code)
    assert not verification.consume(verification.PASSWORD_RESET, "hal@example.com", code)
    assert verification.consume(verification.EMAIL_CODE, "hal@example.com", code)
    assert not verification.consume(verification.EMAIL_CODE, "hal@example.com", code)
    later = verification.issue(verification.EMAIL_CODE, "hal@example.com")
    start = time.time()
    monkeypatch.setattr(verification, "_now", lambda: start + verification.TTL_SECONDS + 1)
    assert not verification.consume(verification.EMAIL_CODE, "hal@example.com", later)


@pytest.mark.parametrize("store", ["memory", "redis"])
def test_wrong_guesses_burn_the_code(sqlite_storage, store, request):
    if store == "redis":
        request.getfixturevalue("redis_url")
    code = verification.issue(verification.EMAIL_CODE, "ivy@example.com")
    wrong = "0" * 6 if code != "0" * 6 else "1" * 6
    for _ in range(verification.MAX_FAILURES - 1):
        assert not verification.check(verification.EMAIL_CODE, "ivy@example.com", wrong)
    assert verification.check(verification.EMAIL_CODE, "ivy@example.com", code)  # still alive
    assert not verification.consume(verification.EMAIL_CODE, "ivy@example.com", wrong)  # the last guess
    assert not verification.consume(verification.EMAIL_CODE, "ivy@example.com", code)
    fresh = verification.issue(verification.EMAIL_CODE, "ivy@example.com")  # a new code starts from zero
    assert not verification.check(verification.EMAIL_CODE, "ivy@example.com", wrong)
    assert verification.consume(verification.EMAIL_CODE, "ivy@example.com", fresh)
