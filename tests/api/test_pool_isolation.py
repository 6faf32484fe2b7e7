"""One user must not be able to stall the server: a management-API request holds at most one
database connection at a time, the console's pool is bounded, the relay's DB reads (token/user
cache misses, ledger balances) have a pool of their own, and a pool that stays busy answers 503 in
the caller's format instead of a 500. Over real HTTP, on every database; outcomes, not timings."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from fastapi.testclient import TestClient
from mgmt_helpers import PASSWORD, auth, data, make_user
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import TimeoutError as PoolTimeout

from backend import db
from backend.api.responses import BUSY
from backend.config import reset_settings
from backend.db import get_engine, get_relay_engine, reset_engines
from backend.main import create_app
from backend.models.enums import Role
from tests.relay.relay_seed import RelayEnv, make_channel, make_key, relay_env, wait_until

FLOOD = 48  # more concurrent calls than FastAPI's 40 worker threads
CHAT = {"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}]}


def small_pools(monkeypatch: pytest.MonkeyPatch, total: int, wait_s: float | None = None) -> None:
    """SQL_MAX_OPEN_CONNS=`total` (split between the console and relay pools); engines rebuilt."""
    monkeypatch.setenv("SQL_MAX_OPEN_CONNS", str(total))
    monkeypatch.setenv("SQL_MAX_IDLE_CONNS", str(total))
    if wait_s is not None:
        monkeypatch.setattr(db, "POOL_TIMEOUT_S", wait_s)
    reset_settings()
    reset_engines()


def hold_all(engine: Engine) -> list[Connection]:
    """Check out every connection the pool will give (the last attempt waits POOL_TIMEOUT_S)."""
    held: list[Connection] = []
    while True:
        try:
            held.append(engine.connect())
        except PoolTimeout:
            return held


def release(held: list[Connection]) -> None:
    for conn in held:
        conn.close()


def chat(env: RelayEnv, key: str) -> httpx.Response:
    return httpx.post(env.url + "/v1/chat/completions", json=CHAT, timeout=60,
                      headers={"Authorization": f"Bearer {key}"})


def assert_relayed(resp: httpx.Response) -> None:
    assert resp.status_code == 200, resp.text
    assert resp.json()["choices"][0]["message"]["content"]


@pytest.fixture
def flood_env(storage, monkeypatch: pytest.MonkeyPatch) -> Iterator[RelayEnv]:
    small_pools(monkeypatch, 12)
    with relay_env() as env:
        yield env


def test_a_console_flood_from_one_user_all_succeeds_and_the_relay_is_served_meanwhile(flood_env: RelayEnv) -> None:
    user = make_user("flood")
    make_channel(flood_env.fake.url, "gpt-4o")
    _, _, key = make_key()  # never used yet: the relay must read token and user from the DB
    statuses: list[int] = []
    stop = threading.Event()

    def console_calls(client: httpx.Client) -> None:
        while not stop.is_set():
            resp = client.get("/api/token/?p=1&size=10", headers=auth(user))
            statuses.append(resp.status_code if resp.json().get("success") else -resp.status_code)

    with httpx.Client(base_url=flood_env.url, timeout=120, limits=httpx.Limits(max_connections=FLOOD)) as client, \
            ThreadPoolExecutor(FLOOD) as pool:
        # First one burst of FLOOD simultaneous calls, all of which must succeed ...
        burst = list(pool.map(lambda _: client.get("/api/token/", headers=auth(user)), range(FLOOD)))
        assert [r.status_code for r in burst] == [200] * FLOOD
        assert all(r.json()["success"] for r in burst)
        # ... then a sustained flood, with a relay call on an uncached key in the middle of it.
        workers = [pool.submit(console_calls, client) for _ in range(FLOOD)]
        wait_until(lambda: len(statuses) >= FLOOD, "the console flood to get going")
        try:
            assert_relayed(chat(flood_env, key))
            resp = httpx.get(flood_env.url + "/v1/models", headers={"Authorization": f"Bearer {make_key()[2]}"})
            assert resp.status_code == 200 and "gpt-4o" in {m["id"] for m in resp.json()["data"]}
        finally:
            stop.set()
            for w in workers:
                w.result()
    assert set(statuses) == {200}


def test_the_relay_is_served_while_the_console_pool_is_exhausted(storage, monkeypatch) -> None:
    small_pools(monkeypatch, 4, wait_s=0.5)
    with relay_env() as env:
        user = make_user("console")
        make_channel(env.fake.url, "gpt-4o")
        _, _, key = make_key()
        held = hold_all(get_engine())
        try:
            assert held  # the console pool really is taken
            resp = httpx.get(env.url + "/api/token/", headers=auth(user), timeout=60)
            assert resp.status_code == 503
            assert resp.json() == {"success": False, "message": BUSY}  # nothing internal echoed
            assert_relayed(chat(env, key))
        finally:
            release(held)
        assert data(httpx.get(env.url + "/api/token/", headers=auth(user), timeout=60))["items"] == []


def test_a_busy_relay_pool_answers_503_in_openai_shape(storage, monkeypatch) -> None:
    small_pools(monkeypatch, 4, wait_s=0.5)
    with relay_env() as env:
        make_channel(env.fake.url, "gpt-4o")
        _, _, key = make_key()
        held = hold_all(get_relay_engine())
        try:
            for resp in (chat(env, key), httpx.get(env.url + "/v1/models", headers={"Authorization": f"Bearer {key}"})):
                assert resp.status_code == 503, resp.text
                err = resp.json()["error"]
                assert err["code"] == "server_busy" and err["message"].startswith(BUSY)
                assert "pool" not in resp.text.lower()
        finally:
            release(held)
        assert_relayed(chat(env, key))  # the key was not remembered as unknown meanwhile


@pytest.fixture
def one_connection(storage, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A console pool of exactly one connection: a request that asks for a second while holding the
    first cannot get it, and answers 503 after the (short) pool wait."""
    small_pools(monkeypatch, 2, wait_s=2.0)
    assert db.pool_sizes(db.get_settings())[0].open == 1
    yield


def test_every_request_uses_one_connection_at_a_time(one_connection) -> None:
    user = make_user("solo")
    admin = make_user("boss", Role.ROOT)
    client = TestClient(create_app(with_lifespan=False))
    made = data(client.post("/api/token/", json={"name": "k", "unlimited_quota": True}, headers=auth(user)))
    key = data(client.post(f"/api/token/{made['id']}/key", headers=auth(user)))["key"]
    for path in ("/api/token/?p=1&size=10", "/api/user/self", "/api/log/self", "/api/log/self/stat",
                 "/api/log/self/search?keyword=x", "/api/user/self/groups", "/api/user/aff", "/api/user/models",
                 f"/api/log/token?key={key}"):
        resp = client.get(path, headers=auth(user))
        assert resp.status_code == 200 and resp.json()["success"], (path, resp.text)
    for path in ("/api/log/?p=1", "/api/user/?p=1", "/api/channel/?p=1", "/api/option/"):
        resp = client.get(path, headers=auth(admin))
        assert resp.status_code == 200 and resp.json()["success"], (path, resp.text)
    # writes, which also reload snapshots and tell the caches
    data(client.put("/api/option/", json={"key": "SystemName", "value": "Solo"}, headers=auth(admin)))
    data(client.post("/api/channel/", json={"name": "c", "type": 1, "key": "sk-up", "models": "gpt-4o",
                                            "group": "default"}, headers=auth(admin)))
    code = data(client.post("/api/redemption/", json={"name": "gift", "quota": 100, "count": 1}, headers=auth(admin)))[0]
    data(client.post("/api/user/topup", json={"key": code}, headers=auth(user)))
    data(client.put("/api/token/", json={"id": made["id"], "name": "renamed", "unlimited_quota": True},
                    headers=auth(user)))
    # the public price list reads the signed-in user's group from the session cookie
    login = client.post("/api/user/login", json={"username": "solo", "password": PASSWORD})
    assert login.json()["success"], login.text
    resp = client.get("/api/pricing")
    assert resp.status_code == 200 and resp.json()["success"]
