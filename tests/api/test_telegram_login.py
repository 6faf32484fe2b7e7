"""Telegram: the login widget with real HMAC signatures (fresh, stale, tampered), and the bot
login end to end through python-telegram-bot against a fake Bot API (webhook and polling), on
every database."""

from __future__ import annotations

import hashlib
import hmac
import time

import httpx
import pytest
from mgmt_helpers import PASSWORD, app_client, data, make_user, refused
from sqlmodel import select

from backend.config import reset_settings
from backend.db import session_scope
from backend.main import create_app
from backend.models import User
from backend.services import options, sessions, telegram_bot
from tests.conftest import LiveServer
from tests.fakes.telegram_bot_api import FakeBotAPI, start_update
from tests.support import wait_until

TOKEN = "123456:TEST-token"
SECRET = "webhook-secret-1"


def _sign(fields: dict[str, str], token: str = TOKEN) -> dict[str, str]:
    """What Telegram's widget hands the browser (computed independently of the gateway's code)."""
    check = "\n".join(f"{k}={v}" for k, v in sorted(fields.items()))
    digest = hmac.new(hashlib.sha256(token.encode()).digest(), check.encode(), hashlib.sha256).hexdigest()
    return {**fields, "hash": digest}


def _widget(tg_id: int, age: int = 0, **extra: str) -> dict[str, str]:
    return _sign({"id": str(tg_id), "first_name": "Tele", "username": "tg", "auth_date": str(int(time.time()) - age),
                  **extra})


def _enable() -> None:
    options.update("TelegramBotToken", TOKEN)
    options.update("TelegramBotName", "newapi_bot")
    options.update("TelegramWebhookSecret", SECRET)
    options.update("TelegramOAuthEnabled", "true")


def _bound(username: str, tg_id: str) -> User:
    user = make_user(username)
    with session_scope() as s:
        row = s.get(User, user.id)
        row.telegram_id = tg_id
        s.add(row)
    return user


def test_widget_login_fresh_stale_tampered(storage):
    _enable()
    alice = _bound("alice", "1001")
    browser = app_client()
    me = data(browser.get("/api/oauth/telegram/login", params=_widget(1001)))
    assert me["id"] == alice.id and browser.cookies.get(sessions.COOKIE_NAME)

    for bad in (
        _widget(1001, age=2 * 24 * 3600),                 # stale: older than a day
        {**_widget(1001), "first_name": "Mallory"},       # tampered after signing
        {**_widget(1001), "id": "1002"},                  # another account's id
        _sign({"id": "1001", "auth_date": str(int(time.time()))}, token="654321:other-bot"),  # another bot
        {k: v for k, v in _widget(1001).items() if k != "hash"},  # no hash
        _widget(1001, age=-3600),                         # from the future
    ):
        other = app_client()
        refused(other.get("/api/oauth/telegram/login", params=bad), 401)
        assert sessions.COOKIE_NAME not in other.cookies

    # genuine but unbound: no account is created by the widget (new-api's rule)
    refused(app_client().get("/api/oauth/telegram/login", params=_widget(4242)), 403)
    options.update("TelegramOAuthEnabled", "false")
    refused(app_client().get("/api/oauth/telegram/login", params=_widget(1001)), 403)


def test_widget_bind_needs_a_session_and_redirects_to_settings(storage):
    _enable()
    bob = make_user("bob")
    refused(app_client().get("/api/oauth/telegram/bind", params=_widget(2002)), 401)
    browser = app_client()
    data(browser.post("/api/user/login", json={"username": "bob", "password": PASSWORD}))
    reply = browser.get("/api/oauth/telegram/bind", params=_widget(2002), follow_redirects=False)
    assert reply.status_code == 302 and reply.headers["location"] == "/setting"
    with session_scope() as s:
        assert s.get(User, bob.id).telegram_id == "2002"
    refused(browser.get("/api/oauth/telegram/bind", params=_widget(2002, age=3 * 24 * 3600)), 401)
    carol = app_client()
    make_user("carol")
    data(carol.post("/api/user/login", json={"username": "carol", "password": PASSWORD}))
    assert "already bound" in refused(carol.get("/api/oauth/telegram/bind", params=_widget(2002)), 400)


@pytest.fixture
def bot_api(storage, monkeypatch):
    with FakeBotAPI(TOKEN) as fake:
        monkeypatch.setenv("TELEGRAM_API_BASE", fake.url)
        reset_settings()
        _enable()
        yield fake


def _webhook(client, update: dict, secret: str | None = SECRET):
    headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret is not None else {}
    return client.post("/api/telegram/webhook", json=update, headers=headers)


def test_bot_login_through_the_webhook(bot_api):
    browser = app_client()
    started = data(browser.post("/api/oauth/telegram/bot/start"))
    nonce = started["nonce"]
    assert started["url"] == f"https://t.me/newapi_bot?start={nonce}"
    assert telegram_bot.NONCE_RE.match(nonce) and len(nonce) <= 64
    pending = browser.get("/api/oauth/telegram/bot/poll", params={"nonce": nonce}).json()
    assert pending == {"success": False, "message": "", "data": "pending"}

    # the webhook without, or with a wrong, secret does nothing
    update = start_update(1, 777, f"/start {nonce}", username="tgname")
    refused(_webhook(app_client(), update, secret=None), 401)
    refused(_webhook(app_client(), update, secret="guess"), 403)
    assert bot_api.sent == []
    assert browser.get("/api/oauth/telegram/bot/poll", params={"nonce": nonce}).json()["data"] == "pending"

    data(_webhook(app_client(), update))
    assert bot_api.sent == [{"chat_id": 777, "text": telegram_bot.REPLY_OK}]

    # another browser cannot collect this login
    refused(app_client().get("/api/oauth/telegram/bot/poll", params={"nonce": nonce}), 403)
    me = data(browser.get("/api/oauth/telegram/bot/poll", params={"nonce": nonce}))
    assert me["username"] == "tgname" and me["telegram_id"] == "777"
    assert data(browser.get("/api/user/self", headers={"New-Api-User": str(me["id"])}))["id"] == me["id"]
    # once: the nonce is gone, and a replayed /start is told so
    refused(browser.get("/api/oauth/telegram/bot/poll", params={"nonce": nonce}), 400)
    data(_webhook(app_client(), start_update(2, 777, f"/start {nonce}")))
    assert bot_api.sent[-1]["text"] == telegram_bot.REPLY_EXPIRED

    # the same Telegram id logs into the same account next time
    again = app_client()
    nonce2 = data(again.post("/api/oauth/telegram/bot/start"))["nonce"]
    data(_webhook(app_client(), start_update(3, 777, f"/start@newapi_bot {nonce2}")))
    assert data(again.get("/api/oauth/telegram/bot/poll", params={"nonce": nonce2}))["id"] == me["id"]
    with session_scope() as s:
        assert len(s.exec(select(User)).all()) == 1


def test_bot_login_binds_for_a_logged_in_browser_and_respects_registration(bot_api):
    dave = make_user("dave")
    browser = app_client()
    data(browser.post("/api/user/login", json={"username": "dave", "password": PASSWORD}))
    nonce = data(browser.post("/api/oauth/telegram/bot/start"))["nonce"]
    data(_webhook(app_client(), start_update(1, 888, f"/start {nonce}")))
    assert data(browser.get("/api/oauth/telegram/bot/poll", params={"nonce": nonce})) == {"action": "bind"}
    with session_scope() as s:
        assert s.get(User, dave.id).telegram_id == "888"

    options.update("RegisterEnabled", "false")
    stranger = app_client()
    nonce = data(stranger.post("/api/oauth/telegram/bot/start"))["nonce"]
    data(_webhook(app_client(), start_update(2, 999, f"/start {nonce}")))
    refused(stranger.get("/api/oauth/telegram/bot/poll", params={"nonce": nonce}), 403)
    with session_scope() as s:
        assert [u.username for u in s.exec(select(User)).all()] == ["dave"]
    refused(stranger.get("/api/oauth/telegram/bot/poll", params={"nonce": "not a nonce!"}), 400)
    refused(stranger.get("/api/oauth/telegram/bot/poll", params={"nonce": "unknownnonce"}), 400)


def test_bot_login_by_polling_without_a_public_url(bot_api, monkeypatch):
    monkeypatch.setenv("TELEGRAM_BOT_POLLING", "true")
    reset_settings()
    with LiveServer(create_app()) as gateway, httpx.Client(base_url=gateway.url) as browser:
        nonce = browser.post("/api/oauth/telegram/bot/start").json()["data"]["nonce"]
        bot_api.queue_update(start_update(10, 555, f"/start {nonce}", username="poller"))

        def logged_in() -> dict | None:
            body = browser.get("/api/oauth/telegram/bot/poll", params={"nonce": nonce}).json()
            return body if body["success"] else None

        wait_until(logged_in, "the polled /start to log the browser in")
        me = browser.get("/api/user/self", headers={"New-Api-User": "1"}).json()["data"]
        assert me["telegram_id"] == "555" and me["username"] == "poller"
        wait_until(lambda: bot_api.sent, "the bot's reply")
        assert bot_api.sent[0] == {"chat_id": 555, "text": telegram_bot.REPLY_OK}
        assert "deleteWebhook" in bot_api.calls
