"""Channel test, balance and model-list routes against a small fake provider on loopback."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import orjson
import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from mgmt_helpers import app_client, auth, data, make_user, refused
from sqlmodel import select

from backend.cache import channels as cache
from backend.db import session_scope
from backend.models import Channel, Log
from backend.models.enums import LogType, Role
from backend.relay import channel_test
from backend.services import channel_input, channels, options
from tests.conftest import LiveServer
from tests.support import wait_until

OPENAI, CUSTOM, ANTHROPIC, OPENROUTER, GEMINI, SILICONFLOW, DEEPSEEK, AZURE = 1, 8, 14, 20, 24, 40, 43, 3
DEAD = {"error": {"message": "Incorrect API key provided", "type": "invalid_request_error", "code": "invalid_api_key"}}


@dataclass
class Seen:
    path: str
    headers: dict[str, str]
    body: Any


@dataclass
class Fake:
    """Key-driven behaviour: `dead` -> 401 invalid_api_key, `busy` -> 429 rate limit, `empty`
    answers 200 without choices; anything else answers normally."""

    url: str = ""
    seen: list[Seen] = field(default_factory=list)

    def last(self, path: str) -> Seen:
        return [s for s in self.seen if s.path == path][-1]


def _key(request: Request) -> str:
    raw = request.headers.get("authorization", "")
    return raw.removeprefix("Bearer ") or request.headers.get("x-api-key", "") or request.headers.get("api-key", "")


def _fake_app(fake: Fake) -> FastAPI:
    app = FastAPI()

    @app.middleware("http")
    async def record(request: Request, call_next):
        body = await request.body()
        fake.seen.append(Seen(request.url.path, dict(request.headers), orjson.loads(body) if body else None))
        return await call_next(request)

    @app.post("/v1/chat/completions")
    @app.post("/openai/deployments/{deployment}/chat/completions")
    async def chat(request: Request, deployment: str = "") -> JSONResponse:
        key, body = _key(request), await request.json()
        if key == "dead":
            return JSONResponse(DEAD, status_code=401)
        if key == "busy":
            return JSONResponse({"error": {"message": "Rate limit reached", "type": "requests"}}, status_code=429)
        if key == "empty":
            return JSONResponse({"id": "x", "object": "chat.completion", "choices": []})
        return JSONResponse({
            "id": "chatcmpl-1", "object": "chat.completion", "created": 1, "model": body["model"],
            "choices": [{"index": 0, "message": {"role": "assistant", "content": "hello"}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 8, "completion_tokens": 1, "total_tokens": 9},
        })

    @app.post("/v1/embeddings")
    async def embeddings(request: Request) -> JSONResponse:
        body = await request.json()
        return JSONResponse({"object": "list", "model": body["model"], "usage": {"prompt_tokens": 2, "total_tokens": 2},
                             "data": [{"object": "embedding", "index": 0, "embedding": [0.1, 0.2]}]})

    @app.get("/v1/models")
    async def models(request: Request) -> JSONResponse:
        if _key(request) == "dead":
            return JSONResponse(DEAD, status_code=401)
        return JSONResponse({"object": "list", "data": [{"id": "gpt-4o", "object": "model"}, {"id": "o3"}]})

    @app.get("/v1beta/models")
    async def gemini_models(request: Request) -> JSONResponse:
        assert request.headers["x-goog-api-key"] == "gk"
        return JSONResponse({"models": [{"name": "models/gemini-2.0-flash"}, {"name": "models/gemini-2.5-pro"}]})

    @app.get("/v1/dashboard/billing/subscription")
    async def subscription() -> JSONResponse:
        return JSONResponse({"object": "billing_subscription", "has_payment_method": False, "hard_limit_usd": 120.0})

    @app.get("/v1/dashboard/billing/usage")
    async def usage(start_date: str, end_date: str) -> JSONResponse:
        return JSONResponse({"object": "list", "total_usage": 2050.0})  # cents

    @app.get("/v1/user/info")
    async def siliconflow() -> JSONResponse:
        return JSONResponse({"code": 20000, "status": True, "data": {"balance": "1.00", "totalBalance": "13.37"}})

    @app.get("/user/balance")
    async def deepseek() -> JSONResponse:
        return JSONResponse({"is_available": True, "balance_infos": [
            {"currency": "USD", "total_balance": "1.00"}, {"currency": "CNY", "total_balance": "110.50"}]})

    @app.get("/api/v1/credits")
    async def openrouter() -> JSONResponse:
        return JSONResponse({"data": {"total_credits": 25.5, "total_usage": 5.25}})

    return app


@pytest.fixture
def fake() -> Iterator[Fake]:
    f = Fake()
    with LiveServer(_fake_app(f)) as server:
        f.url = server.url
        yield f


def make(fake: Fake, **extra) -> int:
    body = {"name": "c", "type": OPENAI, "key": "good", "models": "gpt-4o", "group": "default",
            "base_url": fake.url, **extra}
    return channels.create_channels(channel_input.parse_create({"mode": "single", "channel": body}))[0]


def row(cid: int) -> Channel:
    with session_scope() as s:
        return s.get(Channel, cid)


def test_channel_test_success_records_latency_and_log(storage, fake):
    admin = make_user("admin", Role.ADMIN)
    cid = make(fake, models="gpt-4o,o3", model_mapping='{"gpt-4o": "gpt-4o-2024-08-06"}')
    with app_client() as c:
        reply = c.get(f"/api/channel/test/{cid}", headers=auth(admin)).json()
        assert reply["success"] is True and reply["message"] == "" and reply["time"] >= 0
        sent = fake.last("/v1/chat/completions")
        assert sent.headers["authorization"] == "Bearer good"
        assert sent.body["model"] == "gpt-4o-2024-08-06"  # model_mapping applies
        assert sent.body["messages"] == [{"role": "user", "content": "hi"}] and sent.body["max_tokens"] == 10
        assert sent.body.get("stream") in (None, False)

        assert c.get(f"/api/channel/test/{cid}?model=o3", headers=auth(admin)).json()["success"] is True
        assert fake.last("/v1/chat/completions").body["max_completion_tokens"] == 10  # o-series spelling
    r = row(cid)
    assert r.test_time > 0 and r.response_time >= 0 and r.used_quota == 0
    with session_scope() as s:
        logs = s.exec(select(Log).where(Log.type == int(LogType.SYSTEM))).all()
    assert len([x for x in logs if x.content.startswith("模型测试")]) == 2
    assert all(x.quota == 0 for x in logs)


def test_channel_test_embeddings_and_test_model(sqlite_storage, fake):
    admin = make_user("admin", Role.ADMIN)
    cid = make(fake, models="gpt-4o", test_model="text-embedding-3-small")
    with app_client() as c:
        assert c.get(f"/api/channel/test/{cid}", headers=auth(admin)).json()["success"] is True
    assert fake.last("/v1/embeddings").body == {"model": "text-embedding-3-small", "input": ["hello world"]}
    assert not [s for s in fake.seen if s.path == "/v1/chat/completions"]


def test_channel_test_azure_goes_through_its_adaptor(sqlite_storage, fake):
    admin = make_user("admin", Role.ADMIN)
    cid = make(fake, type=AZURE, models="gpt-4.1", other="2024-10-21")
    with app_client() as c:
        assert c.get(f"/api/channel/test/{cid}", headers=auth(admin)).json()["success"] is True
    sent = fake.last("/openai/deployments/gpt-41/chat/completions")
    assert sent.headers["api-key"] == "good"


def test_failed_test_reports_and_auto_disables(storage, fake):
    admin = make_user("admin", Role.ADMIN)
    dead = make(fake, key="dead")
    busy = make(fake, key="busy", name="busy")
    empty = make(fake, key="empty", name="empty")
    with app_client() as c:
        reply = c.get(f"/api/channel/test/{dead}", headers=auth(admin)).json()
        assert reply["success"] is False and "Incorrect API key" in reply["message"]
        assert row(dead).status == 1  # AutomaticDisableChannelEnabled is off by default
        options.update("AutomaticDisableChannelEnabled", "true")
        c.get(f"/api/channel/test/{dead}", headers=auth(admin))
        assert row(dead).status == 3 and "Incorrect API key" in row(dead).other_info
        assert c.get(f"/api/channel/test/{busy}", headers=auth(admin)).json()["success"] is False
        assert row(busy).status == 1  # a rate limit is not a dead key
        reply = c.get(f"/api/channel/test/{empty}", headers=auth(admin)).json()
        assert reply["success"] is False and row(empty).status == 1
        refused(c.get("/api/channel/test/4242", headers=auth(admin)), 404)
    assert cache.get_channel(dead) is None and cache.pick("default", "gpt-4o").id in (busy, empty)


def test_passing_test_re_enables_only_when_allowed(sqlite_storage, fake):
    admin = make_user("admin", Role.ADMIN)
    cid = make(fake, status=3)
    manual = make(fake, status=2, name="manual")
    with app_client() as c:
        assert c.get(f"/api/channel/test/{cid}", headers=auth(admin)).json()["success"] is True
        assert row(cid).status == 3
        options.update("AutomaticEnableChannelEnabled", "true")
        c.get(f"/api/channel/test/{cid}", headers=auth(admin))
        c.get(f"/api/channel/test/{manual}", headers=auth(admin))
    assert row(cid).status == 1 and row(manual).status == 2
    assert cache.pick("default", "gpt-4o").id == cid


def test_test_all_runs_in_background(sqlite_storage, fake):
    admin = make_user("admin", Role.ADMIN)
    options.update("AutomaticDisableChannelEnabled", "true")
    options.update("AutomaticEnableChannelEnabled", "true")
    fast = make(fake, name="fast")
    dead = make(fake, key="dead", name="dead")
    dead_no_ban = make(fake, key="dead", name="dead-no-ban", auto_ban=0)
    revived = make(fake, name="revived", status=3)
    manual = make(fake, name="manual", status=2)
    with app_client() as c:
        assert data(c.get("/api/channel/test", headers=auth(admin))) is None
        refused(c.get("/api/channel/test", headers=auth(admin)), 400)  # one run at a time
        wait_until(channel_test._all_task.done, "the background run over all channels", 60)
    assert all(row(i).test_time > 0 for i in (fast, dead, dead_no_ban, revived))
    assert row(fast).status == 1 and row(dead).status == 3 and row(dead_no_ban).status == 1
    assert row(revived).status == 1
    assert row(manual).test_time == 0 and row(manual).status == 2  # a manual disable is left alone


async def test_latency_threshold_applies_to_the_all_channel_run_only(sqlite_storage, fake):
    options.update("AutomaticDisableChannelEnabled", "true")
    ids = [make(fake, name=f"c{i}") for i in range(2)]
    no_ban = make(fake, name="no-ban", auto_ban=0)
    slow = channel_test.TestResult(True, "", time=6.0)  # above the default 5 s threshold
    await channel_test._apply_health(cache.get_channel(ids[0]), slow, check_latency=False)
    assert row(ids[0]).status == 1
    await channel_test._apply_health(cache.get_channel(ids[0]), slow, check_latency=True)
    assert row(ids[0]).status == 3 and "threshold" in row(ids[0]).other_info
    await channel_test._apply_health(cache.get_channel(no_ban), slow, check_latency=True)
    assert row(no_ban).status == 1
    options.update("ChannelDisableThreshold", "10")
    await channel_test._apply_health(cache.get_channel(ids[1]), slow, check_latency=True)
    assert row(ids[1]).status == 1


def test_balances_by_provider(storage, fake):
    admin = make_user("admin", Role.ADMIN)
    ids = {
        OPENAI: make(fake, type=OPENAI),
        SILICONFLOW: make(fake, type=SILICONFLOW),
        DEEPSEEK: make(fake, type=DEEPSEEK),
        OPENROUTER: make(fake, type=OPENROUTER),
    }
    unsupported = make(fake, type=ANTHROPIC, models="claude-3")
    expected = {OPENAI: 120.0 - 20.5, SILICONFLOW: 13.37, DEEPSEEK: 110.5, OPENROUTER: 20.25}
    with app_client() as c:
        for type_, cid in ids.items():
            reply = c.get(f"/api/channel/update_balance/{cid}", headers=auth(admin)).json()
            assert reply["success"] is True and reply["balance"] == pytest.approx(expected[type_]), type_
            assert row(cid).balance == pytest.approx(expected[type_]) and row(cid).balance_updated_time > 0
        assert fake.last("/v1/user/info").headers["authorization"] == "Bearer good"
        usage_query = [s for s in fake.seen if s.path == "/v1/dashboard/billing/usage"]
        assert usage_query
        assert "not supported" in refused(c.get(f"/api/channel/update_balance/{unsupported}", headers=auth(admin)), 400)
        refused(c.get("/api/channel/update_balance/999", headers=auth(admin)), 404)
        options.update("AutomaticDisableChannelEnabled", "true")
        assert data(c.get("/api/channel/update_balance", headers=auth(admin))) == {"updated": 4, "failed": 0}


def test_exhausted_balance_disables_in_update_all(sqlite_storage, fake):
    admin = make_user("admin", Role.ADMIN)
    options.update("AutomaticDisableChannelEnabled", "true")
    broke = make(fake, type=DEEPSEEK, base_url=fake.url + "/broke")
    with app_client() as c:
        assert data(c.get("/api/channel/update_balance", headers=auth(admin))) == {"updated": 0, "failed": 1}
    assert row(broke).status == 1  # an unreadable balance is no reason to disable


def test_fetch_models(sqlite_storage, fake):
    admin = make_user("admin", Role.ADMIN)
    cid = make(fake)
    gem = make(fake, type=GEMINI, key="gk", models="gemini-2.0-flash")
    dead = make(fake, key="dead")
    with app_client() as c:
        assert data(c.get(f"/api/channel/fetch_models/{cid}", headers=auth(admin))) == ["gpt-4o", "o3"]
        assert data(c.get(f"/api/channel/fetch_models/{gem}", headers=auth(admin))) == [
            "gemini-2.0-flash", "gemini-2.5-pro"]
        assert "Incorrect API key" in refused(c.get(f"/api/channel/fetch_models/{dead}", headers=auth(admin)), 400)
        posted = c.post("/api/channel/fetch_models", json={"base_url": fake.url, "type": 1, "key": "good\nother"},
                        headers=auth(admin))
        assert data(posted) == ["gpt-4o", "o3"]
        assert fake.last("/v1/models").headers["authorization"] == "Bearer good"  # first key only
        refused(c.post("/api/channel/fetch_models", json={"base_url": "file:///etc", "type": 1, "key": "k"},
                       headers=auth(admin)), 400)
        refused(c.post("/api/channel/fetch_models", json={"base_url": fake.url, "type": CUSTOM, "key": "k"},
                       headers=auth(admin)), 400)
        for native in (15, 16, 23, 37, 49):  # Baidu, Zhipu, Tencent, Dify, Coze: no listing API to call
            msg = refused(c.post("/api/channel/fetch_models", json={"base_url": fake.url, "type": native, "key": "a|b"},
                                 headers=auth(admin)), 400)
            assert "has no model list API" in msg
