"""A relay call walks the rooms of docs/architecture.md one way, each once: key auth, distributor,
adaptor, upstream, reply, settle, log. Counted by wrapping each room's entry point, for a whole
reply, a stream and a retried call (where only the per-attempt rooms repeat)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from functools import wraps
from typing import Any

import pytest

from backend.relay import adaptors, attempts, auth, distributor, pipeline, replies
from backend.services import billing, usage_log
from tests.relay.relay_seed import RelayEnv, make_channel, make_key, relay_env, set_option

MESSAGES = [{"role": "user", "content": "Say hello"}]
ROOMS = ("prepare", "auth", "pre_consume", "route", "adaptor", "send", "reply", "settle", "refund", "log")


@pytest.fixture
def walked(sqlite_storage, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[RelayEnv, Counter[str], list[str]]]:
    counts: Counter[str] = Counter()
    order: list[str] = []

    def spy(room: str, module: Any, name: str) -> None:
        real: Callable[..., Any] = getattr(module, name)

        @wraps(real)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            counts[room] += 1
            order.append(room)
            return real(*args, **kwargs)

        monkeypatch.setattr(module, name, wrapper)

    with relay_env() as env:
        spy("auth", auth, "authenticate")
        spy("prepare", pipeline, "_prepare")
        spy("pre_consume", billing, "pre_consume")
        spy("route", distributor, "route")
        spy("adaptor", adaptors, "get_adaptor")
        spy("send", attempts, "_send")
        spy("reply", replies, "whole")
        spy("reply", replies, "stream")
        spy("settle", billing, "settle")
        spy("refund", billing, "refund")
        spy("log", usage_log, "record")
        yield env, counts, order


def _once_each(counts: Counter[str]) -> dict[str, int]:
    return {room: counts[room] for room in ROOMS}


def test_a_whole_reply_passes_each_room_once(walked) -> None:
    env, counts, order = walked
    make_channel(env.fake.url, "gpt-4o")
    _user, _token, key = make_key()
    env.openai(key).chat.completions.create(model="gpt-4o", messages=MESSAGES)
    assert _once_each(counts) == {**dict.fromkeys(ROOMS, 1), "refund": 0}
    assert order == ["prepare", "auth", "pre_consume", "route", "adaptor", "send", "reply", "settle", "log"]


def test_a_stream_passes_each_room_once(walked) -> None:
    env, counts, order = walked
    make_channel(env.fake.url, "gpt-4o")
    _user, _token, key = make_key()
    chunks = list(env.openai(key).chat.completions.create(model="gpt-4o", messages=MESSAGES, stream=True))
    assert chunks
    assert _once_each(counts) == {**dict.fromkeys(ROOMS, 1), "refund": 0}
    assert order[-2:] == ["settle", "log"]


def test_a_retry_repeats_only_the_per_attempt_rooms(walked) -> None:
    env, counts, _order = walked
    set_option("RetryTimes", "1")
    make_channel(env.fake.url, "gpt-4o", key="sk-broken")
    make_channel(env.fake.url, "gpt-4o", key="sk-good")
    env.fake.fail_keys["sk-broken"] = 503
    _user, _token, key = make_key()
    env.openai(key).chat.completions.create(model="gpt-4o", messages=MESSAGES)
    # The first pick may land on either channel: one or two attempts, never more.
    attempts_made = counts["send"]
    assert attempts_made in (1, 2)
    assert {room: counts[room] for room in ("route", "adaptor", "send")} == dict.fromkeys(
        ("route", "adaptor", "send"), attempts_made)
    assert {room: counts[room] for room in ("auth", "prepare", "pre_consume", "reply", "settle", "log")} == dict.fromkeys(
        ("auth", "prepare", "pre_consume", "reply", "settle", "log"), 1)
    assert counts["refund"] == 0
