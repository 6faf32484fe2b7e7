"""The single-use store behind OAuth states and Telegram bot-login nonces: in the database (every
engine) and in Redis; expiry, one taker, and the OAuth state's browser binding."""

from __future__ import annotations

import threading

import pytest

from backend.services import browser_binding, nonces, oauth_state
from backend.services.errors import Forbidden


@pytest.fixture(params=["db", "redis"])
def store(request, storage):
    if request.param == "redis":
        request.getfixturevalue("redis_url")
    return request.param


def test_put_get_take_once(store):
    nonces.put("k", "abc", {"n": 1}, 60)
    assert nonces.get("k", "abc") == {"n": 1}
    assert nonces.get("other", "abc") is None
    assert nonces.take("k", "abc") == {"n": 1}
    assert nonces.take("k", "abc") is None and nonces.get("k", "abc") is None


def test_expired_values_are_gone(store, monkeypatch):
    now = [1_000_000.0]
    monkeypatch.setattr(nonces, "_now", lambda: now[0])
    nonces.put("k", "abc", {"n": 1}, 600)
    now[0] += 599
    assert nonces.get("k", "abc") == {"n": 1} and 0 < nonces.remaining("k", "abc") <= 1
    now[0] += 2
    assert nonces.get("k", "abc") is None and nonces.take("k", "abc") is None


def test_concurrent_takers_one_winner(store):
    nonces.put("k", "race", {"n": 1}, 60)
    results: list[object] = []
    barrier = threading.Barrier(6)

    def taker() -> None:
        barrier.wait()
        results.append(nonces.take("k", "race"))

    threads = [threading.Thread(target=taker) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results, key=str) == [None] * 5 + [{"n": 1}]


def test_oauth_state_is_bound_to_its_browser_and_single_use(store):
    mine, theirs = browser_binding.new_value(), browser_binding.new_value()
    state = oauth_state.issue(mine, "aff1")
    with pytest.raises(Forbidden):
        oauth_state.consume(theirs, state)
    with pytest.raises(Forbidden):
        oauth_state.consume(mine, state[:-1] + ("x" if state[-1] != "x" else "y"))
    assert oauth_state.consume(mine, state)["aff"] == "aff1"
    with pytest.raises(Forbidden):
        oauth_state.consume(mine, state)


def test_update_if_is_a_compare_and_set_that_keeps_the_expiry(store):
    nonces.put("k", "n", {"status": "pending"}, 60)
    left = nonces.remaining("k", "n")
    assert nonces.update_if("k", "n", lambda r: r["status"] == "pending", lambda r: {**r, "status": "seen"})
    assert nonces.get("k", "n") == {"status": "seen"}
    assert 0 < nonces.remaining("k", "n") <= left
    # a second writer sees the changed value and its check fails; a taken value cannot be revived
    assert not nonces.update_if("k", "n", lambda r: r["status"] == "pending", lambda r: {**r, "status": "x"})
    assert nonces.take("k", "n") == {"status": "seen"}
    assert not nonces.update_if("k", "n", lambda r: True, lambda r: {"status": "revived"})
    assert nonces.get("k", "n") is None
