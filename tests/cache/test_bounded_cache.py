"""The entity caches are bounded: found rows and remembered misses each in an LRU of their own with
a deadline per entry, and keys longer than any real one are never looked up or stored."""

from __future__ import annotations

import pytest

from backend import cache
from backend.cache.lru import MISS, BoundedTTL
from backend.db import session_scope
from backend.models import Token, User


def test_found_entries_are_evicted_least_recently_used_first() -> None:
    lru: BoundedTTL[str, int] = BoundedTTL(max_found=3, max_missing=3)
    for k, v in (("a", 1), ("b", 2), ("c", 3)):
        lru.put(k, v, expires=100)
    assert lru.get("a", now=0) == 1  # "a" is now the most recently used
    lru.put("d", 4, expires=100)
    assert lru.get("b", now=0) is MISS
    assert [lru.get(k, now=0) for k in ("a", "c", "d")] == [1, 3, 4]
    assert lru.counts() == (3, 0)


def test_misses_have_their_own_bound_and_cannot_push_out_found_rows() -> None:
    lru: BoundedTTL[str, int] = BoundedTTL(max_found=10, max_missing=5)
    lru.put("real", 1, expires=100)
    for i in range(1000):
        lru.put(f"bad{i}", None, expires=100)
    assert lru.counts() == (1, 5)
    assert lru.get("real", now=0) == 1
    assert lru.get("bad999", now=0) is None  # a remembered miss
    assert lru.get("bad0", now=0) is MISS  # long evicted


def test_entries_expire_and_are_dropped() -> None:
    lru: BoundedTTL[str, int] = BoundedTTL(max_found=10, max_missing=10)
    lru.put("row", 1, expires=10)
    lru.put("gone", None, expires=10)
    assert lru.get("row", now=9) == 1 and lru.get("gone", now=9) is None
    assert lru.get("row", now=10) is MISS and lru.get("gone", now=10) is MISS
    assert len(lru) == 0


def test_a_found_row_replaces_a_remembered_miss_and_pop_drops_both() -> None:
    lru: BoundedTTL[str, int] = BoundedTTL(max_found=10, max_missing=10)
    lru.put("k", None, expires=10)
    lru.put("k", 7, expires=10)
    assert lru.counts() == (1, 0) and lru.get("k", now=0) == 7
    lru.pop("k")
    assert "k" not in lru and lru.get("k", now=0) is MISS


@pytest.fixture
def no_lookups(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(_key: str) -> None:
        raise AssertionError("an over-long key reached the database")

    monkeypatch.setattr(cache, "_load_token_row", refuse)


async def test_over_long_keys_are_neither_looked_up_nor_stored(sqlite_storage, no_lookups) -> None:
    for n in range(100):
        assert await cache.get_token(f"{n}" + "k" * (cache.MAX_KEY_CHARS + 1)) is None
    assert len(cache._tokens) == 0


async def test_a_flood_of_unknown_keys_keeps_the_cache_bounded(sqlite_storage, monkeypatch) -> None:
    monkeypatch.setattr(cache._tokens, "max_missing", 20)
    with session_scope() as s:
        user = User(username="u", password="x")
        s.add(user)
        s.flush()
        s.add(Token(user_id=user.id, key="r" * 48, name="real"))
    assert (await cache.get_token("r" * 48)).name == "real"
    for n in range(200):
        assert await cache.get_token(f"{n:048d}") is None
    assert cache._tokens.counts() == (1, 20)
    with session_scope() as s:  # still served from memory: the real entry was never evicted
        s.delete(s.get(Token, 1))
    assert (await cache.get_token("r" * 48)).name == "real"
