"""Two gateway processes on one database and one Redis: the `auto` group routes alike on both, an
AutoGroups change made on one reaches the other, and each call is billed in the group it ran in."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from backend.main import create_app
from tests.conftest import LiveServer
from tests.fakes.upstream import FakeUpstream
from tests.relay.relay_seed import (
    consume_logs,
    flush,
    make_channel,
    make_token,
    make_user,
    set_option,
    wait_until,
)
from tests.routing.instances import instance_b

BODY = {"model": "gpt-4o", "messages": [{"role": "user", "content": "Say hello"}]}


@pytest.fixture
def fake() -> Iterator[FakeUpstream]:
    with FakeUpstream() as f:
        yield f


def test_auto_group_on_two_instances(storage, redis_url, fake: FakeUpstream, tmp_path: Path) -> None:
    set_option("GroupRatio", '{"default":1,"vip":2}')
    set_option("UserUsableGroups", '{"default":"d","vip":"v","auto":"a"}')
    set_option("AutoGroups", '["vip","default"]')
    make_channel(fake.url, "gpt-4o,gpt-4o-mini", group="default", key="sk-default")
    make_channel(fake.url, "gpt-4o", group="vip", key="sk-vip")
    user = make_user()
    headers = {"Authorization": f"Bearer sk-{make_token(user, group='auto').key}"}

    def used_key(url: str, model: str = "gpt-4o") -> str:
        reply = httpx.post(url + "/v1/chat/completions", json={**BODY, "model": model}, headers=headers, timeout=60)
        assert reply.status_code == 200, reply.text
        return fake.last.headers["authorization"][7:]

    with LiveServer(create_app()) as a, instance_b(tmp_path) as b:
        assert [used_key(a.url), used_key(b)] == ["sk-vip", "sk-vip"]
        assert [used_key(a.url, "gpt-4o-mini"), used_key(b, "gpt-4o-mini")] == ["sk-default", "sk-default"]
        set_option("AutoGroups", '["default","vip"]')  # on A; B hears it on the bus
        wait_until(lambda: used_key(b) == "sk-default", "instance B to take the new AutoGroups order")
        assert used_key(a.url) == "sk-default"
        set_option("AutoGroups", '["vip"]')  # now gpt-4o-mini has no group left
        wait_until(lambda: httpx.post(b + "/v1/chat/completions", json={**BODY, "model": "gpt-4o-mini"},
                                      headers=headers).status_code == 503, "instance B to drop the default group")
    flush()

    def groups_logged() -> list[str]:
        return sorted(r.group for r in consume_logs(user.id))

    # B's logs reach the database through its own flush (on its shutdown at the latest).
    wait_until(lambda: len(groups_logged()) == len(fake.requests), "both instances' logs")
    rows = consume_logs(user.id)
    by_group = {g: [r for r in rows if r.group == g] for g in ("vip", "default")}
    assert len(by_group["vip"]) == 2 and len(by_group["default"]) == len(rows) - 2
    vip_quota = by_group["vip"][0].quota
    default_quota = next(r.quota for r in by_group["default"] if r.model_name == "gpt-4o")
    assert vip_quota == 2 * default_quota > 0  # the same reply, billed at the group it ran in


def test_default_use_auto_group_and_the_cross_group_retry_on_a_second_instance(storage, redis_url, fake: FakeUpstream,
                                                                               tmp_path: Path) -> None:
    set_option("GroupRatio", '{"default":1,"vip":2}')
    set_option("UserUsableGroups", '{"default":"d","vip":"v"}')  # `auto` only through DefaultUseAutoGroup
    set_option("AutoGroups", '["vip","default"]')
    set_option("RetryTimes", "1")
    make_channel(fake.url, "gpt-4o", group="vip", key="sk-vip")
    make_channel(fake.url, "gpt-4o", group="default", key="sk-default")
    fake.fail_keys["sk-vip"] = 502
    user = make_user()
    headers = {"Authorization": f"Bearer sk-{make_token(user, group='auto').key}"}

    def status(url: str) -> int:
        return httpx.post(url + "/v1/chat/completions", json=BODY, headers=headers, timeout=60).status_code

    with LiveServer(create_app()), instance_b(tmp_path) as b:
        assert status(b) == 403  # auto is not offered yet
        set_option("DefaultUseAutoGroup", "true")  # on A; B hears it on the bus
        wait_until(lambda: httpx.get(b + "/api/status").json()["data"]["default_use_auto_group"],
                   "instance B to take DefaultUseAutoGroup")
        assert status(b) == 200
    assert [r.headers["authorization"][7:] for r in fake.requests] == ["sk-vip", "sk-default"]
    flush()
    wait_until(lambda: len(consume_logs(user.id)) == 1, "instance B's log")
    (row,) = consume_logs(user.id)
    assert row.group == "default"  # vip failed; the call ran and was billed in default
