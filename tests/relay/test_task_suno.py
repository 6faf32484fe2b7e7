"""Suno through the gateway against tests/fakes/task_upstream.py: public ids distinct from the
upstream's, the channel key as Bearer upstream, charge on submit, polling to success or to a
failure refunded once, bad actions refused for free, users kept apart."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
from sqlalchemy import update
from sqlmodel import select

from backend.config import reset_settings
from backend.db import session_scope
from backend.models import Log, Task
from backend.models.enums import LogType
from backend.relay.tasks import poller
from tests.conftest import LiveServer, Storage
from tests.fakes.task_upstream import SUNO_KEY, TaskFake
from tests.relay.relay_seed import flush, make_channel, make_key, token_row, user_row

MUSIC = 50_000  # suno_music's default ModelPrice 0.1 × 500000


@dataclass
class Env:
    fake: TaskFake
    url: str

    def client(self, key: str) -> httpx.Client:
        return httpx.Client(base_url=self.url, headers={"Authorization": f"Bearer {key}"}, timeout=30)


@pytest.fixture
def env(storage: Storage, monkeypatch: pytest.MonkeyPatch) -> Iterator[Env]:
    from backend.main import create_app

    monkeypatch.setenv("UPDATE_TASK", "false")  # the tests poll by hand, one round at a time
    reset_settings()
    with TaskFake() as fake, LiveServer(create_app()) as gateway:
        make_channel(fake.url, "suno_music,suno_lyrics", type_=36, key=SUNO_KEY)
        yield Env(fake, gateway.url)


def poll() -> None:
    asyncio.run(poller.poll_once())


def refund_logs(user_id: int) -> list[Log]:
    with session_scope() as s:
        return list(s.exec(select(Log).where(Log.user_id == user_id, Log.type == int(LogType.REFUND))))


def test_music_submit_poll_success(env: Env) -> None:
    user, _token, key = make_key(quota=1_000_000)
    with env.client(key) as c:
        reply = c.post("/suno/submit/music", json={"gpt_description_prompt": "a song about tea"})
        assert reply.status_code == 200, reply.text
        task_id = reply.json()["data"]
        assert reply.json()["code"] == "success" and task_id.startswith("task_")
        sent = env.fake.submits("/suno/submit/MUSIC")[-1]
        assert sent.headers["authorization"] == f"Bearer {SUNO_KEY}"
        assert sent.body["mv"] == "chirp-v3-0"
        assert task_id not in env.fake.jobs  # the upstream's id stays private
        flush()
        assert user_row(user.id).quota == 1_000_000 - MUSIC
        for _ in range(3):
            poll()
        one = c.get(f"/suno/fetch/{task_id}").json()["data"]
        assert (one["status"], one["progress"]) == ("SUCCESS", "100%")
        assert one["data"][0]["id"] == "clip-1"
        many = c.post("/suno/fetch", json={"ids": [task_id, "task_nope"]}).json()["data"]
        assert [t["task_id"] for t in many] == [task_id]
    flush()
    assert user_row(user.id).quota == 1_000_000 - MUSIC and refund_logs(user.id) == []


def test_failure_refunds_user_and_key_once(env: Env) -> None:
    user, token, key = make_key(quota=1_000_000, unlimited_quota=False, remain_quota=200_000)
    with env.client(key) as c:
        task_id = c.post("/suno/submit/music", json={"prompt": "please fail"}).json()["data"]
    poll()
    poll()

    async def race() -> None:
        await asyncio.gather(poller.poll_tasks(), poller.poll_tasks())

    asyncio.run(race())
    poll()
    flush()
    assert user_row(user.id).quota == 1_000_000
    assert token_row(token.id).remain_quota == 200_000
    logs = refund_logs(user.id)
    assert len(logs) == 1 and logs[0].quota == MUSIC and logs[0].model_name == "suno_music"
    with env.client(key) as c:
        one = c.get(f"/suno/fetch/{task_id}").json()["data"]
    assert (one["status"], one["fail_reason"]) == ("FAILURE", "generation failed")


@pytest.mark.parametrize("path,body", [("/suno/submit/dance", {"prompt": "x"}), ("/suno/submit/lyrics", {})])
def test_bad_requests_cost_nothing(env: Env, path: str, body: dict) -> None:
    user, _token, key = make_key(quota=1_000_000)
    with env.client(key) as c:
        reply = c.post(path, json=body)
    assert reply.status_code == 400 and reply.json()["code"] == "invalid_request"
    assert env.fake.submits("/suno/") == []
    flush()
    assert user_row(user.id).quota == 1_000_000


def test_upstream_refusal_costs_nothing(env: Env) -> None:
    user, _token, key = make_key(quota=1_000_000)
    with env.client(key) as c:
        reply = c.post("/suno/submit/music", json={"prompt": "refuse"})
    assert reply.status_code == 502 and reply.json()["message"] == "prompt refused"
    flush()
    assert user_row(user.id).quota == 1_000_000


def test_another_users_task_is_not_found(env: Env) -> None:
    _a, _ta, key_a = make_key()
    _b, _tb, key_b = make_key()
    with env.client(key_a) as a:
        task_id = a.post("/suno/submit/lyrics", json={"prompt": "words"}).json()["data"]
    with env.client(key_b) as b:
        assert b.get(f"/suno/fetch/{task_id}").json()["code"] == "task_not_exist"
        assert b.post("/suno/fetch", json={"ids": [task_id]}).json()["data"] == []


def test_stuck_task_times_out_with_a_refund(env: Env) -> None:
    user, _token, key = make_key(quota=1_000_000)
    with env.client(key) as c:
        task_id = c.post("/suno/submit/music", json={"prompt": "slow"}).json()["data"]
    with session_scope() as s:
        s.exec(update(Task).where(Task.task_id == task_id).values(submit_time=int(time.time()) - 2 * 86400))  # type: ignore[call-overload]
        s.commit()
    poll()
    poll()
    flush()
    assert user_row(user.id).quota == 1_000_000
    assert [log.quota for log in refund_logs(user.id)] == [MUSIC]
    with env.client(key) as c:
        assert c.get(f"/suno/fetch/{task_id}").json()["data"]["status"] == "FAILURE"


def test_upstream_messages_lose_keys_and_addresses(env: Env) -> None:
    user, _token, key = make_key(quota=1_000_000)
    with env.client(key) as c:
        reply = c.post("/suno/submit/music", json={"prompt": "leak please"})
    assert reply.status_code == 400
    assert SUNO_KEY not in reply.text and "10.9.8.7" not in reply.text
    flush()
    assert user_row(user.id).quota == 1_000_000
