"""Midjourney-Proxy through the gateway, against tests/fakes/task_upstream.py: submit with the
caller's key (Bearer or mj-api-secret), the upstream sees only the channel's key, the charge on an
accepted submit, polls that move the job on, the signed image proxy, refusals that cost nothing,
refunds exactly once (also with two pollers racing), timeouts, and users kept apart."""

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
from backend.models import Log, Midjourney
from backend.models.enums import LogType
from backend.relay.tasks import poller
from tests.conftest import LiveServer, Storage
from tests.fakes.task_upstream import MJ_KEY, RESULT_BYTES, TaskFake
from tests.relay.relay_seed import flush, make_channel, make_key, set_option, user_row

PRICE = 50_000  # mj_imagine's default ModelPrice 0.1 × 500000 × group ratio 1
MJ_MODELS = "mj_imagine,mj_upscale,mj_variation,mj_describe,mj_blend,mj_upload,swap_face,mj_video"


@dataclass
class Env:
    fake: TaskFake
    url: str

    def client(self, key: str, header: str = "bearer") -> httpx.Client:
        headers = {"Authorization": f"Bearer {key}"} if header == "bearer" else {"mj-api-secret": key}
        return httpx.Client(base_url=self.url, headers=headers, timeout=30)


@pytest.fixture
def env(storage: Storage, monkeypatch: pytest.MonkeyPatch) -> Iterator[Env]:
    from backend.main import create_app

    monkeypatch.setenv("UPDATE_TASK", "false")  # the tests poll by hand, one round at a time
    reset_settings()
    with TaskFake() as fake, LiveServer(create_app()) as gateway:
        make_channel(fake.url, MJ_MODELS, type_=2, key=MJ_KEY)
        set_option("ServerAddress", gateway.url)
        set_option("fetch_setting.allow_private_ip", "true")  # the fake's image is on loopback
        set_option("fetch_setting.allowed_ports", "[]")
        yield Env(fake, gateway.url)


def poll() -> None:
    asyncio.run(poller.poll_once())


def refunds(user_id: int) -> list[Log]:
    with session_scope() as s:
        return list(s.exec(select(Log).where(Log.user_id == user_id, Log.type == int(LogType.REFUND))))


def test_imagine_charges_polls_and_serves_the_image(env: Env) -> None:
    user, _token, key = make_key(quota=1_000_000)
    with env.client(key, header="mj-api-secret") as c:
        reply = c.post("/mj/submit/imagine", json={"prompt": "a cat", "notifyHook": "http://evil.example/"})
        assert reply.status_code == 200, reply.text
        body = reply.json()
        assert body["code"] == 1
        job_id = body["result"]
        sent = env.fake.submits("/mj/submit/imagine")[-1]
        assert sent.headers["mj-api-secret"] == MJ_KEY  # the channel's key, never the caller's
        assert key.removeprefix("sk-") not in str(sent.headers)
        assert "notifyHook" not in sent.body  # MjNotifyEnabled is off
        flush()
        assert user_row(user.id).quota == 1_000_000 - PRICE

        assert c.get(f"/mj/task/{job_id}/fetch").json()["progress"] == "0%"
        poll()
        assert c.get(f"/mj/task/{job_id}/fetch").json()["status"] == "SUBMITTED"
        poll()
        poll()
        task = c.get(f"/mj/task/{job_id}/fetch").json()
        assert (task["status"], task["progress"], task["action"]) == ("SUCCESS", "100%", "IMAGINE")
        assert task["imageUrl"].startswith(f"{env.url}/mj/image/{job_id}?sig=")
        assert task["buttons"][0]["label"] == "U1"
        listed = c.post("/mj/task/list-by-condition", json={"ids": [job_id, "nope"]}).json()
        assert [t["id"] for t in listed] == [job_id]

    image = httpx.get(task["imageUrl"])
    assert image.status_code == 200 and image.content == RESULT_BYTES
    assert httpx.get(f"{env.url}/mj/image/{job_id}?sig=0000000000000000").status_code == 403
    assert httpx.get(f"{env.url}/mj/image/{job_id}").status_code == 403
    flush()
    assert user_row(user.id).quota == 1_000_000 - PRICE  # success keeps the charge
    assert refunds(user.id) == []


def test_follow_up_action_goes_to_the_jobs_channel_and_mode_alias(env: Env) -> None:
    _user, _token, key = make_key()
    with env.client(key) as c:
        job_id = c.post("/mj-fast/mj/submit/imagine", json={"prompt": "a dog"}).json()["result"]
        assert env.fake.submits("/mj-fast/mj/submit/imagine")  # MJ-Plus reads the speed from the path
        early = c.post("/mj/submit/action", json={"taskId": job_id, "customId": f"MJ::JOB::upsample::1::{job_id}"})
        assert early.status_code == 400 and early.json()["description"] == "task_status_not_success"
        for _ in range(3):
            poll()
        up = c.post("/mj/submit/action", json={"taskId": job_id, "customId": f"MJ::JOB::upsample::2::{job_id}"})
        assert up.status_code == 200 and up.json()["code"] == 1, up.text
        sent = env.fake.submits("/mj/submit/action")[-1].body
        assert (sent["action"], sent["index"], sent["prompt"]) == ("UPSCALE", 2, "a dog")
        seed = c.get(f"/mj/task/{job_id}/image-seed")
        assert seed.json()["result"] == "4242"
        assert c.post("/relax/mj/submit/simple-change", json={"content": f"{job_id} V1"}).json()["code"] == 1
        assert env.fake.submits("/mj-relax/mj/submit/simple-change")
        assert c.post("/bogus/mj/submit/imagine", json={"prompt": "x"}).status_code == 404


@pytest.mark.parametrize("path,body", [
    ("/mj/submit/explode", {"prompt": "x"}),
    ("/mj/submit/action", {"taskId": "t", "customId": "MJ::JOB::explode::1::abc"}),
    ("/mj/submit/change", {"taskId": "t", "action": "EXPLODE", "index": 1}),
    ("/mj/submit/simple-change", {"content": "t X9"}),
    ("/mj/submit/imagine", {"prompt": ""}),
])
def test_bad_actions_are_refused_without_charge_or_upstream_call(env: Env, path: str, body: dict) -> None:
    user, _token, key = make_key(quota=1_000_000)
    with env.client(key) as c:
        reply = c.post(path, json=body)
    assert reply.status_code == 400
    assert reply.json()["code"] == 4 and reply.json()["type"] == "upstream_error"
    assert env.fake.submits("/mj/") == []
    flush()
    assert user_row(user.id).quota == 1_000_000


def test_refused_submit_costs_nothing(env: Env) -> None:
    user, _token, key = make_key(quota=1_000_000)
    with env.client(key) as c:
        reply = c.post("/mj/submit/imagine", json={"prompt": "refuse this"})
    assert reply.json()["code"] == 24
    flush()
    assert user_row(user.id).quota == 1_000_000
    poll()
    assert refunds(user.id) == []


def test_no_key_and_short_balance(env: Env) -> None:
    assert httpx.post(f"{env.url}/mj/submit/imagine", json={"prompt": "x"}).status_code == 401
    _user, _token, key = make_key(quota=10)
    with env.client(key) as c:
        reply = c.post("/mj/submit/imagine", json={"prompt": "x"})
    assert reply.status_code == 403 and reply.json()["code"] == 4
    assert env.fake.submits("/mj/") == []


def test_failure_refunds_once_even_with_two_pollers_racing(env: Env) -> None:
    user, token, key = make_key(quota=1_000_000, unlimited_quota=False, remain_quota=300_000)
    with env.client(key) as c:
        job_id = c.post("/mj/submit/imagine", json={"prompt": "please fail"}).json()["result"]
    poll()
    poll()

    async def race() -> None:  # two instances in the same round, past the Redis lock
        await asyncio.gather(poller.poll_midjourney(), poller.poll_midjourney())

    asyncio.run(race())
    poll()
    flush()
    assert user_row(user.id).quota == 1_000_000
    from tests.relay.relay_seed import token_row

    assert token_row(token.id).remain_quota == 300_000
    logs = refunds(user.id)
    assert len(logs) == 1 and logs[0].quota == PRICE and logs[0].model_name == "mj_imagine"
    with env.client(key) as c:
        task = c.get(f"/mj/task/{job_id}/fetch").json()
    assert (task["status"], task["progress"], task["failReason"]) == ("FAILURE", "100%", "banned prompt")


def test_stuck_job_times_out_with_a_refund(env: Env) -> None:
    user, _token, key = make_key(quota=1_000_000)
    with env.client(key) as c:
        job_id = c.post("/mj/submit/imagine", json={"prompt": "slow"}).json()["result"]
    with session_scope() as s:
        s.exec(update(Midjourney).where(Midjourney.mj_id == job_id)  # type: ignore[call-overload]
               .values(submit_time=int((time.time() - 2 * 86400) * 1000)))
        s.commit()
    poll()
    poll()
    flush()
    assert user_row(user.id).quota == 1_000_000
    assert len(refunds(user.id)) == 1


def test_users_cannot_read_each_others_jobs(env: Env) -> None:
    _a, _ta, key_a = make_key()
    _b, _tb, key_b = make_key()
    with env.client(key_a) as a:
        job_id = a.post("/mj/submit/imagine", json={"prompt": "mine"}).json()["result"]
    with env.client(key_b) as b:
        assert b.get(f"/mj/task/{job_id}/fetch").json()["description"] == "task_no_found"
        assert b.post("/mj/task/list-by-condition", json={"ids": [job_id]}).json() == []
        assert b.get(f"/mj/task/{job_id}/image-seed").status_code == 400
        follow = b.post("/mj/submit/change", json={"taskId": job_id, "action": "UPSCALE", "index": 1})
        assert follow.json()["description"] == "task_not_found"


def test_redis_lock_keeps_a_second_instance_out(env: Env, redis_url: str) -> None:
    async def scenario() -> tuple[bool, bool]:
        token = await poller._acquire()
        assert token is not None
        try:
            second = await poller.poll_once()
        finally:
            await poller._release(token)
        return second, await poller.poll_once()

    assert asyncio.run(scenario()) == (False, True)


@pytest.mark.parametrize("update_task,running", [("true", True), ("false", False)])
def test_poll_job_runs_with_the_app_when_update_task_is_on(sqlite_storage: Storage, monkeypatch: pytest.MonkeyPatch,
                                                           update_task: str, running: bool) -> None:
    from backend.main import create_app

    monkeypatch.setenv("UPDATE_TASK", update_task)
    reset_settings()
    with LiveServer(create_app()):
        assert (poller.job.task is not None) is running
    assert poller.job.task is None


@pytest.mark.parametrize("path,open_", [("/mj/submit/imagine", True), ("/relax/mj/task/x/fetch", True),
                                        ("/suno/fetch", True), ("/kling/v1/videos/text2video", True),
                                        ("/midjourney", False), ("/api/mj/self", False)])
def test_task_routes_are_open_to_any_origin_like_the_relay(path: str, open_: bool) -> None:
    from backend.relay_cors import is_open_path

    assert is_open_path(path) is open_


def test_a_channel_key_the_upstream_refuses_is_a_502_and_costs_nothing(env: Env) -> None:
    make_channel(env.fake.url, "mj_shorten", type_=2, key="wrong-channel-secret")
    user, _token, key = make_key(quota=1_000_000)
    with env.client(key) as c:
        reply = c.post("/mj/submit/shorten", json={"prompt": "x"})
    assert reply.status_code == 502 and reply.json()["code"] == 5
    assert "wrong-channel-secret" not in reply.text
    flush()
    assert user_row(user.id).quota == 1_000_000
