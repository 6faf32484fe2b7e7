"""The video providers of backend/relay/tasks/providers through the gateway, against the fakes of
tests/fakes/video_providers.py: submit (the provider's auth checked by its fake), charge on submit
by new-api's rule for the provider, polls to success (result served) or to a failure refunded
exactly once, refusals and bad input free, and one user's task invisible to another."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import openai
import orjson
import pytest
from sqlmodel import select

from backend.config import reset_settings
from backend.db import session_scope
from backend.models import Log
from backend.models.enums import LogType
from backend.relay.adaptors import vertex_token
from backend.relay.tasks import poller
from backend.services import sessions
from tests.conftest import LiveServer, Storage
from tests.fakes.task_upstream import RESULT_BYTES, TaskFake
from tests.fakes.video_providers import (
    DOUBAO_KEY,
    GEMINI_KEY,
    JIMENG_KEY,
    VIDU_KEY,
    VeoVertexFake,
    VideoProviderFake,
)
from tests.relay.relay_seed import flush, make_channel, make_key, set_option, user_row

BASE = 50_000  # ModelPrice 0.1 × 500000
QUOTA = 10_000_000


@dataclass
class Env:
    fake: VideoProviderFake
    vertex: VeoVertexFake
    url: str

    def http(self, key: str) -> httpx.Client:
        return httpx.Client(base_url=self.url, headers={"Authorization": f"Bearer {key}"}, timeout=30)

    def sdk(self, key: str) -> openai.OpenAI:
        return openai.OpenAI(api_key=key, base_url=self.url + "/v1", max_retries=0, timeout=30)


MODELS = {
    51: "jimeng_vgfm_t2v_l20,jimeng_v30",
    52: "viduq1",
    54: "doubao-seedance-1-0-pro-250528,doubao-seedance-2-0-260128",
    45: "doubao-seedance-2-0-fast-260128",
    24: "veo-3.0-generate-001,veo-3.1-generate-preview",
    50: "kling-v1",
}
KEYS = {51: JIMENG_KEY, 52: VIDU_KEY, 54: DOUBAO_KEY, 45: DOUBAO_KEY, 24: GEMINI_KEY, 50: "kling-ak|kling-sk"}


@pytest.fixture
def env(storage: Storage, monkeypatch: pytest.MonkeyPatch) -> Iterator[Env]:
    from backend.main import create_app  # here, not at the top: the app reads settings the fixture just set

    monkeypatch.setenv("UPDATE_TASK", "false")  # the tests poll by hand, one round at a time
    reset_settings()
    vertex_token.clear()
    with VideoProviderFake() as fake, VeoVertexFake() as vx, LiveServer(create_app()) as gateway:
        for type_, models in MODELS.items():
            if type_ != 50:
                make_channel(fake.url, models, type_=type_, key=KEYS[type_])
        make_channel(vx.url, "veo-3.0-fast-generate-001", type_=41, key=vx.service_account(), other="us-central1")
        prices = {m: 0.1 for models in MODELS.values() for m in models.split(",")}
        set_option("ModelPrice", orjson.dumps({**prices, "veo-3.0-fast-generate-001": 0.1}).decode())
        set_option("ServerAddress", gateway.url)
        set_option("fetch_setting.allow_private_ip", "true")  # the fakes' result files are on loopback
        set_option("fetch_setting.allowed_ports", "[]")
        yield Env(fake, vx, gateway.url)


def poll() -> None:
    asyncio.run(poller.poll_once())


def refunds(user_id: int) -> list[Log]:
    with session_scope() as s:
        return list(s.exec(select(Log).where(Log.user_id == user_id, Log.type == int(LogType.REFUND))))


# (model, extra body fields, quota charged by new-api's rule for the provider)
CASES = [
    pytest.param("jimeng_vgfm_t2v_l20", {"duration": 10}, BASE, id="jimeng-per-call"),
    pytest.param("viduq1", {"duration": 8}, BASE, id="vidu-per-call"),
    pytest.param("doubao-seedance-1-0-pro-250528", {"duration": 5}, BASE, id="doubao-untiered"),
    pytest.param("doubao-seedance-2-0-260128", {"metadata": {"resolution": "1080p"}}, int(BASE * 51 / 46),
                 id="doubao-1080p-tier"),
    pytest.param("doubao-seedance-2-0-fast-260128",
                 {"metadata": {"content": [{"type": "video_url", "video_url": {"url": "https://v.example/a.mp4"}}]}},
                 int(BASE * 22 / 37), id="volcengine-video-input"),
    pytest.param("veo-3.0-generate-001", {}, BASE * 8, id="gemini-default-8s"),
    pytest.param("veo-3.1-generate-preview", {"metadata": {"durationSeconds": 6, "resolution": "4K"}},
                 int(BASE * 6 * 1.5), id="gemini-4k"),
    pytest.param("veo-3.0-fast-generate-001", {"duration": 4}, BASE * 4, id="vertex-seconds"),
]


@pytest.mark.parametrize(("model", "extra", "charged"), CASES)
def test_submit_poll_result_and_charge(env: Env, model: str, extra: dict[str, Any], charged: int) -> None:
    user, _token, key = make_key(quota=QUOTA)
    with env.http(key) as c:
        reply = c.post("/v1/video/generations", json={"model": model, "prompt": "a lighthouse", **extra})
        assert reply.status_code == 200, reply.text
        task_id = reply.json()["task_id"]
        assert task_id.startswith("task_") and reply.json()["id"] == task_id
        assert task_id not in env.fake.jobs and task_id not in env.vertex.jobs  # the upstream's id stays private
        flush()
        assert user_row(user.id).quota == QUOTA - charged
        poll()
        poll()
        running = c.get(f"/v1/video/generations/{task_id}").json()["data"]
        assert running["status"] in ("QUEUED", "IN_PROGRESS") and running["progress"] != "100%"
        poll()
        done = c.get(f"/v1/video/generations/{task_id}").json()["data"]
        assert done["status"] == "SUCCESS" and done["progress"] == "100%" and done["result_url"]
    video = env.sdk(key).videos.retrieve(task_id)
    assert video.status == "completed" and video.model == model
    assert env.sdk(key).videos.download_content(task_id).read() == RESULT_BYTES
    flush()
    assert user_row(user.id).quota == QUOTA - charged and refunds(user.id) == []


@pytest.mark.parametrize("model", ["jimeng_vgfm_t2v_l20", "viduq1", "doubao-seedance-1-0-pro-250528",
                                   "veo-3.0-generate-001", "veo-3.0-fast-generate-001"])
def test_failed_task_is_refunded_once(env: Env, model: str) -> None:
    user, _token, key = make_key(quota=QUOTA)
    with env.http(key) as c:
        task_id = c.post("/v1/video/generations", json={"model": model, "prompt": "please fail"}).json()["task_id"]
        flush()
        assert user_row(user.id).quota < QUOTA
        poll()
        poll()

        async def race() -> None:
            await asyncio.gather(poller.poll_tasks(), poller.poll_tasks())

        asyncio.run(race())
        poll()
        data = c.get(f"/v1/video/generations/{task_id}").json()["data"]
        assert data["status"] == "FAILURE" and data["fail_reason"]
    flush()
    assert user_row(user.id).quota == QUOTA
    assert len(refunds(user.id)) == 1
    with pytest.raises(openai.NotFoundError):
        env.sdk(key).videos.download_content(task_id)


@pytest.mark.parametrize(("body", "status"), [
    ({"model": "jimeng_vgfm_t2v_l20", "prompt": "refuse this"}, 400),
    ({"model": "viduq1", "prompt": "refuse this"}, 400),
    ({"model": "doubao-seedance-1-0-pro-250528", "prompt": "refuse this"}, 400),
    ({"model": "veo-3.0-generate-001", "prompt": "refuse this"}, 400),
    ({"model": "veo-3.0-fast-generate-001", "prompt": "refuse this"}, 400),
    ({"model": "viduq1", "prompt": ""}, 400),
    ({"model": "viduq1", "prompt": "x", "duration": "long"}, 400),
    ({"model": "viduq1", "prompt": "x", "duration": 100000}, 400),
    ({"model": "veo-3.0-generate-001", "prompt": "x", "metadata": "not an object"}, 400),
    ({"model": "veo-3.0-generate-001", "prompt": "x", "images": ["https://img.example/a.png"]}, 400),
    ({"model": "doubao-seedance-2-0-fast-260128", "prompt": "x", "metadata": {"resolution": "1080p"}}, 400),
])
def test_refusals_and_bad_input_cost_nothing(env: Env, body: dict[str, Any], status: int) -> None:
    user, _token, key = make_key(quota=QUOTA)
    with env.http(key) as c:
        reply = c.post("/v1/video/generations", json=body)
    assert reply.status_code == status, reply.text
    assert reply.json()["error"]["message"]
    flush()
    assert user_row(user.id).quota == QUOTA and refunds(user.id) == []


@pytest.mark.parametrize("type_", [51, 52, 54, 24])
def test_a_wrong_channel_key_is_the_channels_fault_and_free(env: Env, type_: int) -> None:
    make_channel(env.fake.url, f"wrong-{type_}", type_=type_, key="jimeng-ak|wrong-secret" if type_ == 51 else "wrong")
    set_option("ModelPrice", f'{{"wrong-{type_}": 0.1}}')
    user, _token, key = make_key(quota=QUOTA)
    with env.http(key) as c:
        reply = c.post("/v1/video/generations", json={"model": f"wrong-{type_}", "prompt": "a cat"})
    assert reply.status_code == 502 and reply.json()["error"]["code"] == "channel_auth_failed", reply.text
    assert "wrong" not in reply.text
    flush()
    assert user_row(user.id).quota == QUOTA


def test_kling_bills_per_call_whatever_the_duration(env: Env) -> None:
    """new-api's Kling adaptor adds no ratio (BaseBilling): a 10 s video costs ModelPrice once."""
    user, _token, key = make_key(quota=QUOTA)
    with TaskFake() as kling:
        make_channel(kling.url, "kling-v2-master", type_=50, key=KEYS[50])
        set_option("ModelPrice", '{"kling-v2-master": 0.1}')
        with env.http(key) as c:
            reply = c.post("/v1/video/generations", json={"model": "kling-v2-master", "prompt": "a boat",
                                                          "duration": 10})
        assert reply.status_code == 200, reply.text
        assert kling.submits("/v1/videos/text2video")[-1].body["duration"] == "10"
    flush()
    assert user_row(user.id).quota == QUOTA - BASE


def test_other_users_tasks_are_not_found(env: Env) -> None:
    _a, _ta, key_a = make_key(quota=QUOTA)
    _b, _tb, key_b = make_key(quota=QUOTA)
    with env.http(key_a) as a:
        task_id = a.post("/v1/video/generations", json={"model": "viduq1", "prompt": "mine"}).json()["task_id"]
    for _ in range(3):
        poll()
    with env.http(key_b) as b:
        assert b.get(f"/v1/video/generations/{task_id}").status_code == 404
        assert b.get(f"/v1/videos/{task_id}/content").status_code == 404
        assert b.post("/jimeng/?Action=CVSync2AsyncGetResult", json={"task_id": task_id}).status_code == 404
    with pytest.raises(openai.NotFoundError):
        env.sdk(key_b).videos.retrieve(task_id)


def test_openai_sdk_creates_a_veo_video(env: Env) -> None:
    user, _token, key = make_key(quota=QUOTA)
    client = env.sdk(key)
    video = client.videos.create(model="veo-3.0-generate-001", prompt="a fox in snow", seconds="4")
    assert video.id.startswith("task_") and video.status == "queued"
    sent = env.fake.bodies(":predictLongRunning")[-1]
    assert sent["instances"][0]["prompt"] == "a fox in snow"
    flush()
    assert user_row(user.id).quota == QUOTA - BASE * 4  # seconds × ModelPrice
    for _ in range(3):
        poll()
    assert client.videos.retrieve(video.id).status == "completed"
    assert client.videos.download_content(video.id).read() == RESULT_BYTES


def test_jimeng_official_route_and_signed_upstream(env: Env) -> None:
    user, _token, key = make_key(quota=QUOTA)
    with env.http(key) as c:
        reply = c.post("/jimeng/?Action=CVSync2AsyncSubmitTask",
                       json={"req_key": "jimeng_v30", "prompt": "a crane", "image_urls": ["https://img.example/1.png"]})
        assert reply.status_code == 200, reply.text
        task_id = reply.json()["task_id"]
        sent = env.fake.bodies("Action=CVSync2AsyncSubmitTask")[-1]
        assert sent["req_key"] == "jimeng_i2v_first_v30" and sent["frames"] == 121
        assert sent["image_urls"] == ["https://img.example/1.png"]
        for _ in range(3):
            poll()
        fetched = env.fake.bodies("Action=CVSync2AsyncGetResult")[-1]
        assert fetched["req_key"] == "jimeng_i2v_first_v30"  # the poll names the submitted key
        result = c.post("/jimeng/?Action=CVSync2AsyncGetResult", json={"task_id": task_id}).json()
        assert result["code"] == "success" and result["data"]["status"] == "SUCCESS"
        assert c.post("/jimeng/", json={"prompt": "x"}).status_code == 400
        assert c.post("/jimeng/?Action=CVSync2AsyncGetResult", json={}).status_code == 400
    flush()
    assert user_row(user.id).quota == QUOTA - BASE


def test_openai_sdk_uploads_a_reference_image_to_vertex(env: Env) -> None:
    """`input_reference` as a file (the SDK's multipart form) reaches Veo inline, with its type."""
    _user, _token, key = make_key(quota=QUOTA)
    picture = b"\x89PNG\r\n\x1a\nreference"
    video = env.sdk(key).videos.create(model="veo-3.0-fast-generate-001", prompt="animate it",
                                       input_reference=("ref.png", picture, "image/png"))
    assert video.id.startswith("task_")
    image = env.vertex.predicts[-1]["instances"][0]["image"]
    assert image == {"bytesBase64Encoded": base64.b64encode(picture).decode(), "mimeType": "image/png"}


def test_the_console_session_opens_its_own_video_and_no_one_elses(env: Env) -> None:
    """The task log's preview link carries the session cookie, not a key (new-api: token or user)."""
    user, _token, key = make_key(quota=QUOTA)
    other, _t, _k = make_key(quota=QUOTA)
    with env.http(key) as c:
        task_id = c.post("/v1/video/generations", json={"model": "veo-3.0-generate-001", "prompt": "x"}).json()["task_id"]
    for _ in range(3):
        poll()
    mine, theirs = sessions.start(user.id), sessions.start(other.id)
    with httpx.Client(base_url=env.url, timeout=30) as browser:
        assert browser.get(f"/v1/videos/{task_id}/content").status_code == 401
        browser.cookies.set(sessions.COOKIE_NAME, theirs)
        assert browser.get(f"/v1/videos/{task_id}/content").status_code == 404
        browser.cookies.set(sessions.COOKIE_NAME, mine)
        assert browser.get(f"/v1/videos/{task_id}/content").content == RESULT_BYTES
        browser.cookies.set(sessions.COOKIE_NAME, "forged")
        assert browser.get(f"/v1/videos/{task_id}/content").status_code == 401
