"""Notifications: the quota warning by webhook (HMAC-signed body), email, Bark and Gotify against
local receivers; throttling; failures logged without stopping the sender; nothing waits on a
receiver; channel auto-disable and re-enable notices to root."""

from __future__ import annotations

import hashlib
import hmac
import threading
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import orjson
import pytest
from fastapi import FastAPI, Request
from fastapi.responses import PlainTextResponse

from backend.cache.entities import UserInfo
from backend.db import session_scope
from backend.models import Channel, User
from backend.models.enums import ChannelStatus, Role
from backend.services import channel_health, ledger, notify, options, quota_notify
from tests.conftest import LiveServer
from tests.smtp_sink import SmtpSink
from tests.support import free_port, wait_until


class Receiver:
    """A loopback HTTP server keeping what it is sent; `hold` makes it wait before answering."""

    def __init__(self) -> None:
        self.hits: list[tuple[str, str, dict[str, str], bytes]] = []
        self.hold = threading.Event()
        self.hold.set()
        self.status = 200
        app = FastAPI()

        @app.api_route("/{path:path}", methods=["GET", "POST"])
        async def catch(path: str, request: Request) -> PlainTextResponse:
            body = await request.body()
            while not self.hold.is_set():  # a slow receiver
                await __import__("asyncio").sleep(0.01)
            self.hits.append((request.method, str(request.url), dict(request.headers), body))
            return PlainTextResponse("ok", status_code=self.status)

        self.app = app


@pytest.fixture
def receiver(sqlite_storage) -> Iterator[tuple[Receiver, str]]:
    options.update("fetch_setting.allow_private_ip", "true")  # the receiver is on loopback
    options.update("fetch_setting.allowed_ports", "[]")
    rec = Receiver()
    with LiveServer(rec.app) as server:
        yield rec, server.url
        rec.hold.set()


def _user(setting: dict, quota: int = 100, email: str = "") -> UserInfo:
    with session_scope() as s:
        u = User(username=f"u{free_port()}", quota=quota, email=email, setting=orjson.dumps(setting).decode())
        s.add(u)
        s.flush()
        return UserInfo.from_row(u)


def _outcomes(user_id: int) -> list[str]:
    return [o for uid, _kind, o in list(notify.worker().outcomes) if uid == user_id]


def test_webhook_signed_and_throttled(receiver):
    rec, url = receiver
    user = _user({"notify_type": "webhook", "webhook_url": f"{url}/hook", "webhook_secret": "s3cret",
                  "quota_warning_threshold": 5000})
    assert quota_notify.after_charge(user, 10) is True
    wait_until(lambda: len(rec.hits) == 1, "the webhook")
    method, _, headers, body = rec.hits[0]
    assert method == "POST" and headers["content-type"] == "application/json"
    assert headers["x-webhook-signature"] == hmac.new(b"s3cret", body, hashlib.sha256).hexdigest()
    payload = orjson.loads(body)
    assert payload["type"] == "quota_exceed" and payload["title"] == quota_notify.TITLE
    assert payload["content"].count("{{value}}") == 4 and len(payload["values"]) == 4
    assert payload["values"][2] == options.get("ServerAddress").rstrip("/") + "/topup"
    assert "s3cret" not in body.decode()
    for _ in range(3):  # NOTIFY_LIMIT_COUNT = 2 per 10 minutes per user and type
        quota_notify.after_charge(user, 10)
    wait_until(lambda: len(_outcomes(user.id)) == 4, "the other checks")
    assert len(rec.hits) == 2 and _outcomes(user.id).count("throttled") == 2


def test_no_notice_above_threshold(receiver):
    rec, url = receiver
    user = _user({"notify_type": "webhook", "webhook_url": f"{url}/hook"}, quota=10_000)
    assert quota_notify.after_charge(user, 10) is False  # QuotaRemindThreshold 1000 < 9990
    # the cached balance says low, the live one (a top-up since) does not: nothing is sent
    assert quota_notify.after_charge(user, 9_500) is True
    wait_until(lambda: _outcomes(user.id), "the check")
    assert _outcomes(user.id) == ["skipped: balance above the threshold"] and rec.hits == []
    ledger.get_ledger().apply(user.id, None, quota_delta=9_500)  # what billing.settle does
    assert quota_notify.after_charge(user, 9_500) is True
    wait_until(lambda: len(rec.hits) == 1, "the webhook")


def test_a_slow_or_failing_receiver_never_blocks_and_is_logged(receiver, caplog):
    rec, url = receiver
    rec.hold.clear()
    slow = _user({"notify_type": "webhook", "webhook_url": f"{url}/slow"})
    assert quota_notify.after_charge(slow, 10) is True  # returns while the receiver still holds
    assert rec.hits == []
    dead = _user({"notify_type": "webhook", "webhook_url": f"http://127.0.0.1:{free_port()}/x"})
    quota_notify.after_charge(dead, 10)
    rec.hold.set()
    wait_until(lambda: _outcomes(dead.id), "the failed delivery")
    assert _outcomes(dead.id)[0].startswith("failed") and len(rec.hits) == 1
    rec.status = 500
    bad = _user({"notify_type": "webhook", "webhook_url": f"{url}/500"})
    quota_notify.after_charge(bad, 10)
    wait_until(lambda: _outcomes(bad.id), "the refused delivery")
    assert "500" in _outcomes(bad.id)[0]
    assert any("failed" in r.getMessage() for r in caplog.records if r.name == "newapi.notify")


def test_bark_and_gotify(receiver):
    rec, url = receiver
    bark = _user({"notify_type": "bark", "bark_url": f"{url}/bark/{{{{title}}}}/{{{{content}}}}"})
    quota_notify.after_charge(bark, 10)
    wait_until(lambda: len(rec.hits) == 1, "the Bark call")
    method, got, headers, _ = rec.hits[0]
    assert method == "GET" and "/bark/Your+quota+is+running+low/" in got
    gotify = _user({"notify_type": "gotify", "gotify_url": f"{url}/gotify/", "gotify_token": "tok en",
                    "gotify_priority": 8})
    quota_notify.after_charge(gotify, 10)
    wait_until(lambda: len(rec.hits) == 2, "the Gotify call")
    method, got, _, body = rec.hits[1]
    parts = urlsplit(got)
    assert method == "POST" and parts.path == "/gotify/message" and parse_qs(parts.query)["token"] == ["tok en"]
    message = orjson.loads(body)
    assert message["title"] == quota_notify.TITLE and message["priority"] == 8
    assert "{{value}}" not in message["message"] and "/topup" in message["message"]


def test_email_warning(sqlite_storage):
    with SmtpSink() as sink:
        sink.configure_options()
        user = _user({"notify_type": "email", "notification_email": "warn@example.com"}, email="main@example.com")
        quota_notify.after_charge(user, 10)
        mail = sink.wait_for(1)[0]
    assert mail["To"] == "warn@example.com" and mail["Subject"] == quota_notify.TITLE


def test_channel_disable_and_enable_notify_root(receiver):
    rec, url = receiver
    options.update("AutomaticDisableChannelEnabled", "true")
    with session_scope() as s:
        s.add(User(username="root", role=int(Role.ROOT), email="root@example.com",
                   setting=orjson.dumps({"notify_type": "webhook", "webhook_url": f"{url}/root"}).decode()))
        c = Channel(name="upstream-a", type=1, key="k", status=int(ChannelStatus.ENABLED), models="gpt-4o",
                    group="default")
        s.add(c)
        s.flush()
        cid = c.id
    assert channel_health.disable_now(cid, "invalid_api_key")
    wait_until(lambda: len(rec.hits) == 1, "the disable notice")
    first = orjson.loads(rec.hits[0][3])
    assert first["type"] == "channel_update" and "upstream-a" in first["title"] and "invalid_api_key" in first["content"]
    assert channel_health.enable_now(cid)
    wait_until(lambda: len(rec.hits) == 2, "the enable notice")
    assert "已被启用" in orjson.loads(rec.hits[1][3])["title"]


def test_throttle_is_shared_through_redis(redis_url, monkeypatch):
    """Two instances (two Throttle objects, as two processes would hold) share one budget in Redis."""
    from backend.config import reset_settings
    from backend.services.notify import Throttle

    monkeypatch.setenv("NOTIFY_LIMIT_COUNT", "2")
    reset_settings()
    first, second = Throttle(), Throttle()
    assert first.allow(7, "quota_exceed") and second.allow(7, "quota_exceed")
    assert not first.allow(7, "quota_exceed") and not second.allow(7, "quota_exceed")
    assert first.allow(7, "channel_update") and second.allow(8, "quota_exceed")
