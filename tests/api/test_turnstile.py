"""Turnstile on the routes new-api guards (login, register, email verification, password reset),
checked against a local fake of Cloudflare's siteverify: a valid, an invalid and a missing token."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from mgmt_helpers import PASSWORD, app_client, data, make_user, refused

from backend.config import reset_settings
from backend.services import options
from tests.fakes.turnstile import GOOD_TOKEN, SECRET, FakeSiteverify
from tests.support import free_port


@pytest.fixture
def siteverify(sqlite_storage, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeSiteverify]:
    with FakeSiteverify() as fake:
        monkeypatch.setenv("TURNSTILE_VERIFY_URL", fake.url)
        reset_settings()
        options.update("TurnstileSiteKey", "site-key-1")
        options.update("TurnstileSecretKey", SECRET)
        options.update("TurnstileCheckEnabled", "true")
        yield fake


def _login(query: str = ""):
    return app_client().post(f"/api/user/login{query}", json={"username": "alice", "password": PASSWORD})


def test_login_needs_a_valid_token_when_enabled(siteverify):
    alice = make_user("alice")
    assert "empty" in refused(_login(), 403)
    assert siteverify.forms == []  # a missing token never reaches Cloudflare
    refused(_login("?turnstile=forged"), 403)
    assert data(_login(f"?turnstile={GOOD_TOKEN}"))["id"] == alice.id
    assert siteverify.forms[-1] == {"secret": SECRET, "response": GOOD_TOKEN, "remoteip": "testclient"}


def test_register_verification_and_reset_are_guarded(siteverify):
    c = app_client()
    refused(c.post("/api/user/register", json={"username": "bob", "password": "bob-password"}), 403)
    refused(c.post("/api/user/register?turnstile=nope", json={"username": "bob", "password": "bob-password"}), 403)
    data(c.post(f"/api/user/register?turnstile={GOOD_TOKEN}", json={"username": "bob", "password": "bob-password"}))
    refused(c.get("/api/verification?email=a@example.com"), 403)
    refused(c.get("/api/reset_password?email=a@example.com&turnstile=nope"), 403)
    forms_before = len(siteverify.forms)
    # with a good token the request goes on to the route itself (here: SMTP is not configured)
    reply = c.get(f"/api/reset_password?email=a@example.com&turnstile={GOOD_TOKEN}")
    assert len(siteverify.forms) == forms_before + 1 and "Turnstile" not in reply.json()["message"]


def test_status_exposes_the_site_key_and_off_means_no_check(siteverify):
    status = data(app_client().get("/api/status"))
    assert status["turnstile_check"] is True and status["turnstile_site_key"] == "site-key-1"
    options.update("TurnstileCheckEnabled", "false")
    make_user("alice")
    data(_login())
    assert siteverify.forms == []


def test_an_unreachable_siteverify_refuses(sqlite_storage, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("TURNSTILE_VERIFY_URL", f"http://127.0.0.1:{free_port()}/siteverify")
    reset_settings()
    options.update("TurnstileSiteKey", "k")
    options.update("TurnstileCheckEnabled", "true")
    make_user("alice")
    assert "unavailable" in refused(_login(f"?turnstile={GOOD_TOKEN}"), 503)
