"""Video tasks through the gateway with the official `openai` SDK (`client.videos`) and plain HTTP
for new-api's unified and Kling routes, against tests/fakes/task_upstream.py."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import openai
import pytest
from sqlmodel import select

from backend.config import reset_settings
from backend.db import session_scope
from backend.models import Log
from backend.models.enums import LogType
from backend.relay.tasks import poller
from tests.conftest import LiveServer, Storage
from tests.fakes.task_upstream import KLING_KEY, RESULT_BYTES, VIDEO_KEY, TaskFake
from tests.relay.relay_seed import flush, make_channel, make_key, set_option, user_row


@dataclass
class Env:
    fake: TaskFake
    url: str

    def sdk(self, key: str) -> openai.OpenAI:
        return openai.OpenAI(api_key=key, base_url=self.url + "/v1", max_retries=0, timeout=30)

    def http(self, key: str) -> httpx.Client:
        return httpx.Client(base_url=self.url, headers={"Authorization": f"Bearer {key}"}, timeout=30)


@pytest.fixture
def env(storage: Storage, monkeypatch: pytest.MonkeyPatch) -> Iterator[Env]:
    from backend.main import create_app

    monkeypatch.setenv("UPDATE_TASK", "false")  # the tests poll by hand, one round at a time
    reset_settings()
    with TaskFake() as fake, LiveServer(create_app()) as gateway:
        make_channel(fake.url, "sora-2,sora-2-pro", type_=55, key=VIDEO_KEY)
        make_channel(fake.url, "kling-v1", type_=50, key=KLING_KEY)
        set_option("ModelPrice", '{"sora-2": 0.1, "sora-2-pro": 0.3, "kling-v1": 0.2}')
        set_option("ServerAddress", gateway.url)
        set_option("fetch_setting.allow_private_ip", "true")  # the fake's CDN is on loopback
        set_option("fetch_setting.allowed_ports", "[]")
        yield Env(fake, gateway.url)


def poll() -> None:
    asyncio.run(poller.poll_once())


def refund_logs(user_id: int) -> list[Log]:
    with session_scope() as s:
        return list(s.exec(select(Log).where(Log.user_id == user_id, Log.type == int(LogType.REFUND))))


def test_sdk_create_retrieve_download_and_remix(env: Env) -> None:
    user, _token, key = make_key(quota=5_000_000)
    client = env.sdk(key)
    video = client.videos.create(model="sora-2", prompt="a fox in snow", seconds="8", size="1792x1024")
    assert video.id.startswith("task_") and video.status == "queued" and video.model == "sora-2"
    sent = env.fake.submits("/v1/videos")[-1]
    assert sent.headers["authorization"] == f"Bearer {VIDEO_KEY}"
    flush()
    charged = int(0.1 * 500_000 * 8 * 1.666667)  # price × seconds × size ratio
    assert user_row(user.id).quota == 5_000_000 - charged

    poll()
    poll()
    assert client.videos.retrieve(video.id).status == "in_progress"
    poll()
    done = client.videos.retrieve(video.id)
    assert (done.status, done.progress) == ("completed", 100)
    assert client.videos.download_content(video.id).read() == RESULT_BYTES

    remixed = client.videos.remix(video.id, prompt="now in rain")
    assert remixed.id.startswith("task_") and remixed.id != video.id
    assert env.fake.submits("/v1/videos/")[-1].path.endswith("/remix")
    flush()
    assert user_row(user.id).quota == 5_000_000 - 2 * charged  # the remix pays the original's ratios


def test_failed_video_is_refunded_once(env: Env) -> None:
    user, _token, key = make_key(quota=5_000_000)
    client = env.sdk(key)
    video = client.videos.create(model="sora-2", prompt="please fail")
    for _ in range(2):
        poll()

    async def race() -> None:
        await asyncio.gather(poller.poll_tasks(), poller.poll_tasks())

    asyncio.run(race())
    poll()
    flush()
    assert user_row(user.id).quota == 5_000_000
    assert len(refund_logs(user.id)) == 1
    failed = client.videos.retrieve(video.id)
    assert failed.status == "failed" and failed.error is not None
    with pytest.raises(openai.NotFoundError):
        client.videos.download_content(video.id)


def test_refusals_cost_nothing(env: Env) -> None:
    user, _token, key = make_key(quota=5_000_000)
    client = env.sdk(key)
    with pytest.raises(openai.BadRequestError):
        client.videos.create(model="sora-2", prompt="refuse me")
    with pytest.raises(openai.BadRequestError):
        client.videos.create(model="sora-2", prompt="")
    flush()
    assert user_row(user.id).quota == 5_000_000


def test_other_users_videos_are_not_found(env: Env) -> None:
    _a, _ta, key_a = make_key()
    _b, _tb, key_b = make_key()
    video = env.sdk(key_a).videos.create(model="sora-2", prompt="mine")
    other = env.sdk(key_b)
    with pytest.raises(openai.NotFoundError):
        other.videos.retrieve(video.id)
    with pytest.raises(openai.NotFoundError):
        other.videos.download_content(video.id)
    with pytest.raises(openai.NotFoundError):
        other.videos.remix(video.id, prompt="steal")


def test_unified_generations_on_a_kling_channel(env: Env) -> None:
    user, _token, key = make_key(quota=5_000_000)
    with env.http(key) as c:
        reply = c.post("/v1/video/generations", json={"model": "kling-v1", "prompt": "a boat", "duration": 5})
        assert reply.status_code == 200, reply.text
        task_id = reply.json()["task_id"]
        sent = env.fake.submits("/v1/videos/text2video")[-1]
        assert sent.body["model_name"] == "kling-v1" and sent.headers["authorization"].count(".") == 2
        for _ in range(3):
            poll()
        data = c.get(f"/v1/video/generations/{task_id}").json()["data"]
        assert data["status"] == "SUCCESS" and data["result_url"].endswith(".mp4")
        kling = c.get(f"/kling/v1/videos/text2video/{task_id}").json()["data"]
        assert kling["task_status"] == "succeed"
        assert c.get(kling["task_result"]["videos"][0]["url"]).content == RESULT_BYTES
    flush()
    assert user_row(user.id).quota == 5_000_000 - 100_000


def test_kling_native_route(env: Env) -> None:
    _user, _token, key = make_key()
    with env.http(key) as c:
        reply = c.post("/kling/v1/videos/image2video", json={"model_name": "kling-v1", "prompt": "p", "image": "u"})
        assert reply.status_code == 200 and reply.json()["data"]["task_status"] == "submitted"
        task_id = reply.json()["data"]["task_id"]
        assert c.get(f"/kling/v1/videos/image2video/{task_id}").json()["data"]["task_id"] == task_id
        assert c.post("/kling/v1/videos/explode", json={"prompt": "x"}).status_code == 404
        wrong = c.post("/kling/v1/videos/text2video", json={"model_name": "sora-2", "prompt": "x"})
        assert wrong.status_code == 400
