"""The routing snapshot: tiers by retry, weight+10 distribution, exclusion, reload on writes."""

from __future__ import annotations

from collections import Counter

import pytest
from sqlalchemy import update

from backend.cache import bus
from backend.cache import channels as cache
from backend.cache.channels import ChannelInfo, split_keys
from backend.db import session_scope
from backend.models import Ability, Channel
from backend.models.schemas.channel import ChannelUpdate
from backend.services import channel_input, channels


def make(name: str, *, priority: int = 0, weight: int = 0, models: str = "gpt-4o", group: str = "default",
         key: str = "sk-x", **extra) -> int:
    body = {"name": name, "type": 1, "key": key, "models": models, "group": group, "priority": priority,
            "weight": weight, **extra}
    return channels.create_channels(channel_input.parse_create({"mode": "single", "channel": body}))[0]


def test_tiers_follow_retry_and_clamp(storage):
    high = make("high", priority=10)
    mid = make("mid", priority=5)
    low = make("low", priority=-3)
    assert cache.priorities("default", "gpt-4o") == [10, 5, -3]
    assert cache.pick("default", "gpt-4o").id == high
    assert cache.pick("default", "gpt-4o", retry=1).id == mid
    assert cache.pick("default", "gpt-4o", retry=2).id == low
    assert cache.pick("default", "gpt-4o", retry=7).id == low  # past the lowest tier: stay there
    assert cache.pick("vip", "gpt-4o") is None
    assert cache.pick("default", "claude-3") is None


def test_weight_plus_ten_distribution(sqlite_storage):
    light = make("light", weight=0)  # weighs 10
    heavy = make("heavy", weight=30)  # weighs 40
    cache.seed(1234)
    counts = Counter(cache.pick("default", "gpt-4o").id for _ in range(5000))
    assert set(counts) == {light, heavy}
    share = counts[heavy] / 5000
    assert 0.75 < share < 0.85, share  # expected 40 / 50 = 0.8


def test_zero_weights_are_still_reachable(sqlite_storage):
    ids = {make(f"c{i}") for i in range(3)}
    cache.seed(7)
    assert {cache.pick("default", "gpt-4o").id for _ in range(300)} == ids


def test_exclude_skips_failed_channels_but_never_empties_a_tier(sqlite_storage):
    a = make("a", priority=1)
    b = make("b", priority=1)
    c = make("c", priority=0)
    cache.seed(3)
    assert {cache.pick("default", "gpt-4o", exclude=frozenset({a})).id for _ in range(200)} == {b}
    # both top-tier channels failed: fall back to the whole tier rather than return nothing
    both = {cache.pick("default", "gpt-4o", exclude=frozenset({a, b})).id for _ in range(200)}
    assert both == {a, b}
    assert cache.pick("default", "gpt-4o", retry=1, exclude=frozenset({a, b})).id == c


def test_disabled_channels_and_groups(storage):
    on = make("on", models="gpt-4o,text-embedding-3-small", group="default,vip")
    off = make("off", models="o3", group="vip", status=2)
    assert cache.get_channel(on).name == "on"
    assert cache.get_channel(off) is None
    assert cache.models_for_group("vip") == ["gpt-4o", "text-embedding-3-small"]
    assert cache.models_for_group("default") == ["gpt-4o", "text-embedding-3-small"]
    assert cache.pick("vip", "o3") is None
    channels.update_channel(ChannelUpdate.model_validate({"id": off, "status": 1}))
    assert cache.pick("vip", "o3").id == off  # the write reloaded the snapshot
    channels.delete_channel(on)
    assert cache.pick("default", "gpt-4o") is None
    assert cache.models_for_group("default") == []


def test_writes_from_another_node_arrive_through_the_bus(sqlite_storage):
    cid = make("n1", priority=1)
    assert cache.pick("default", "gpt-4o").id == cid
    with session_scope() as s:  # another instance changed the DB
        s.execute(update(Channel).where(Channel.id == cid).values(status=2))
        s.execute(update(Ability).where(Ability.channel_id == cid).values(enabled=False))
    assert cache.pick("default", "gpt-4o").id == cid  # no DB I/O on pick: still the old snapshot
    bus._deliver("channels", "")  # what the Redis listener does for a remote publish
    assert cache.pick("default", "gpt-4o") is None


def test_channel_info_parses_columns(sqlite_storage):
    cid = make(
        "full", key="k1\n k2 \n\nk3", models="a, b,a", group="vip, default",
        model_mapping='{"a": "a-2024"}', status_code_mapping='{"429": "503"}', param_override='{"temperature": 0}',
        header_override='{"X-Key": "{api_key}"}', setting='{"proxy": "socks5://127.0.0.1:1"}',
        base_url="https://example.com/", openai_organization="org-1", tag="t", weight=7, priority=3,
    )
    info = cache.get_channel(cid)
    assert isinstance(info, ChannelInfo)
    assert info.keys == ("k1", "k2", "k3")
    assert info.models == ("a", "b") and info.groups == ("vip", "default")
    assert info.model_mapping == {"a": "a-2024"} and info.status_code_mapping == {"429": "503"}
    assert info.param_override == {"temperature": 0} and info.header_override == {"X-Key": "{api_key}"}
    assert info.setting == {"proxy": "socks5://127.0.0.1:1"}
    assert info.base_url == "https://example.com" and info.openai_organization == "org-1"
    assert (info.tag, info.weight, info.priority, info.auto_ban) == ("t", 7, 3, 1)
    with pytest.raises(AttributeError):
        info.name = "changed"  # frozen


def test_split_keys_handles_json_credentials():
    assert split_keys('{"type": "service_account",\n "k": 1}') == ('{"type": "service_account",\n "k": 1}',)
    assert split_keys('[{"a": 1}, {"b": 2}]') == ('{"a":1}', '{"b":2}')
    assert split_keys("a\r\nb\n") == ("a", "b")
    assert split_keys("") == ()
