"""Two gateway processes on one database and one Redis share the routing state that outlives a
request: a multi-key `polling` channel's keys are taken in turn across both, and a channel that
failed on one is rested by the other (told at once, and read at start-up by a process that starts
later). The memory path (no Redis) is covered in test_auto_group_and_keys.py."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import redis

from backend.cache import channel_state
from backend.main import create_app
from tests.conftest import LiveServer
from tests.fakes.upstream import FakeUpstream
from tests.relay.relay_seed import make_channel, make_key, set_option, wait_until
from tests.routing.instances import instance_b

BODY = {"model": "gpt-4o", "messages": [{"role": "user", "content": "Say hello"}]}


@pytest.fixture
def fake() -> Iterator[FakeUpstream]:
    with FakeUpstream() as f:
        yield f


def call(url: str, key: str) -> None:
    reply = httpx.post(url + "/v1/chat/completions", json=BODY, headers={"Authorization": f"Bearer {key}"}, timeout=60)
    assert reply.status_code == 200, reply.text


def test_polling_takes_the_keys_in_turn_across_instances(storage, redis_url, fake: FakeUpstream,
                                                         tmp_path: Path) -> None:
    make_channel(fake.url, "gpt-4o", key="sk-p1\nsk-p2\nsk-p3", multi_key=True, multi_key_mode="polling")
    _user, _token, key = make_key()
    with LiveServer(create_app()) as a, instance_b(tmp_path) as b:
        for url in [a.url, b, a.url, b, a.url, b, b]:
            call(url, key)
    used = [r.headers["authorization"][7:] for r in fake.requests]
    # per process, each instance would start at sk-p1: A, B, A would send p1, p1, p2
    assert used == ["sk-p1", "sk-p2", "sk-p3", "sk-p1", "sk-p2", "sk-p3", "sk-p1"]


def test_a_channel_cooled_on_one_instance_rests_on_the_others(storage, redis_url, fake: FakeUpstream,
                                                              tmp_path: Path) -> None:
    set_option("RetryTimes", "1")
    set_option("ChannelCooldownSeconds", "3600")
    flaky = make_channel(fake.url, "gpt-4o", key="sk-flaky")
    make_channel(fake.url, "gpt-4o", key="sk-steady")
    fake.fail_keys["sk-flaky"] = 502
    _user, _token, key = make_key()

    def flaky_calls() -> int:
        return sum(r.headers["authorization"] == "Bearer sk-flaky" for r in fake.requests)

    def system_name(url: str) -> str:
        return httpx.get(url + "/api/status").json()["data"]["system_name"]

    with LiveServer(create_app()) as a, instance_b(tmp_path) as b:
        for _ in range(200):  # A's weighted pick reaches it sooner or later (each call succeeds)
            if flaky_calls():
                break
            call(a.url, key)
        assert flaky_calls() == 1, "A never picked the flaky channel"
        assert channel_state.cooling(flaky)
        # A's notice went out before its reply; a later notice reaching B means B has read it too
        set_option("SystemName", "after the cooldown")
        wait_until(lambda: system_name(b) == "after the cooldown", "instance B to read A's notices")
        for _ in range(20):
            call(b, key)
        assert flaky_calls() == 1
    store = redis.Redis.from_url(redis_url)
    assert store.zscore(channel_state.COOLDOWN_KEY, flaky) is not None
    with instance_b(tmp_path) as c:  # started after the failure: it reads the cooldown at start-up
        for _ in range(20):
            call(c, key)
    assert flaky_calls() == 1
    store.close()
