"""`/api/mj/...` and `/api/task/...`: paging, filters, the admin/user split, and rows that never
show another user's tasks or a task's private data (upstream id, key)."""

from __future__ import annotations

import pytest
from mgmt_helpers import app_client, auth, data, make_user, refused

from backend.db import session_scope
from backend.models import Midjourney, Task
from backend.models.enums import Role
from backend.services import options


def _mj(user_id: int, mj_id: str, channel_id: int = 3, submit_time: int = 1000) -> None:
    with session_scope() as s:
        s.add(Midjourney(user_id=user_id, mj_id=mj_id, action="IMAGINE", status="SUCCESS", progress="100%",
                         channel_id=channel_id, quota=50_000, image_url="http://cdn.example/x.png",
                         submit_time=submit_time, token_id=9))


def _task(user_id: int, task_id: str, platform: str = "suno", status: str = "SUCCESS", channel_id: int = 3) -> None:
    with session_scope() as s:
        s.add(Task(user_id=user_id, task_id=task_id, platform=platform, action="MUSIC", status=status,
                   progress="100%", channel_id=channel_id, quota=10, submit_time=1000,
                   private_data={"upstream_task_id": "secret-upstream-id", "key": "sk-channel"}))


@pytest.fixture
def world(storage):
    admin, alice, bob = make_user("admin", Role.ADMIN), make_user("alice"), make_user("bob")
    _mj(alice.id, "a1")
    _mj(alice.id, "a2", channel_id=4, submit_time=5000)
    _mj(bob.id, "b1")
    _task(alice.id, "task_a1")
    _task(alice.id, "task_a2", platform="55", status="FAILURE", channel_id=4)
    _task(bob.id, "task_b1")
    options.update("ServerAddress", "https://gw.example")
    return admin, alice, bob


def test_users_see_only_their_own_drawings(world) -> None:
    _admin, alice, _bob = world
    c = app_client()
    page = data(c.get("/api/mj/self?p=1&page_size=1", headers=auth(alice)))
    assert page["total"] == 2 and len(page["items"]) == 1
    item = page["items"][0]
    assert item["mj_id"] == "a2" and "channel_id" not in item and "token_id" not in item
    assert item["image_url"].startswith("https://gw.example/mj/image/a2?sig=")
    assert data(c.get("/api/mj/self?start_timestamp=2000", headers=auth(alice)))["total"] == 1
    assert data(c.get("/api/mj/self?mj_id=b1", headers=auth(alice)))["total"] == 0


def test_admin_sees_all_drawings_and_filters_by_channel(world) -> None:
    admin, alice, _bob = world
    c = app_client()
    assert data(c.get("/api/mj/", headers=auth(admin)))["total"] == 3
    assert data(c.get("/api/mj/?channel_id=4", headers=auth(admin)))["total"] == 1
    refused(c.get("/api/mj/", headers=auth(alice)), 403)


def test_task_logs(world) -> None:
    admin, alice, _bob = world
    c = app_client()
    own = data(c.get("/api/task/self", headers=auth(alice)))
    assert own["total"] == 2
    assert all("private_data" not in i and "channel_id" not in i for i in own["items"])
    assert "secret-upstream-id" not in str(own) and "sk-channel" not in str(own)
    assert data(c.get("/api/task/self?status=FAILURE", headers=auth(alice)))["total"] == 1
    assert data(c.get("/api/task/self?platform=suno", headers=auth(alice)))["total"] == 1
    assert data(c.get("/api/task/self?task_id=task_b1", headers=auth(alice)))["total"] == 0
    everything = data(c.get("/api/task/", headers=auth(admin)))
    assert everything["total"] == 3 and "secret-upstream-id" not in str(everything)
    assert data(c.get("/api/task/?channel_id=4", headers=auth(admin)))["total"] == 1
    refused(c.get("/api/task/", headers=auth(alice)), 403)
    assert c.get("/api/task/self").status_code == 401
