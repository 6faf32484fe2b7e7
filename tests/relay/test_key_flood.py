"""Floods of bad API keys must leave the server's memory and the key cache bounded: keys longer
than any real one are refused unread (no cache entry, no lookup), headers past 64 KB are 431, and
remembered misses for plausible unknown keys stay within their LRU bound. Over real HTTP."""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import httpx
import pytest

from backend import cache
from backend.config import reset_settings
from backend.main import create_app
from tests.conftest import LiveServer
from tests.relay.relay_seed import make_key
from tests.relay.test_auth_http import CHAT, assert_error, assert_let_through, post
from tests.rss import peak_growth

MB = 1024 * 1024
# uvicorn refuses a request head over 16 KB itself; granian (what production runs) takes ~400 KB,
# so the gateway is served with room for the 150 KB keys to reach it.
GRANIAN_LIKE = {"h11_max_incomplete_event_size": 1 << 20}


@pytest.fixture
def gateway(sqlite_storage, monkeypatch: pytest.MonkeyPatch) -> Iterator[httpx.Client]:
    monkeypatch.setenv("MAX_REQUEST_BODY_MB", "1")
    reset_settings()
    with LiveServer(create_app(), **GRANIAN_LIKE) as server, httpx.Client(base_url=server.url, timeout=60) as client:
        yield client
    reset_settings()


@pytest.fixture
def lookups(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Keys the cache went to the database for."""
    seen: list[str] = []
    real = cache._load_token_row

    def counted(key: str):
        seen.append(key)
        return real(key)

    monkeypatch.setattr(cache, "_load_token_row", counted)
    return seen


def test_a_thousand_unique_150_kb_keys_leave_memory_and_cache_flat(gateway: httpx.Client, lookups: list[str]) -> None:
    post(gateway, "sk-" + "w" * 48)  # first-request allocations
    before = cache._tokens.counts()
    statuses: set[int] = set()

    def flood() -> None:
        for _ in range(1000):
            key = secrets.token_hex(8) + "k" * 150_000
            statuses.add(gateway.post("/v1/chat/completions", json=CHAT,
                                      headers={"Authorization": f"Bearer {key}"}).status_code)

    grew = peak_growth(flood)
    assert statuses == {431}
    assert cache._tokens.counts() == before
    assert len(lookups) == 1  # only the warm-up key
    assert grew < 10 * MB, f"resident memory rose {grew / MB:.1f} MB"


def test_keys_longer_than_any_real_key_are_401_without_cache_or_lookup(gateway: httpx.Client, lookups: list[str]) -> None:
    for n in range(1000):
        key = f"sk-{n:04d}" + "k" * 4000
        err = assert_error(post(gateway, key), 401, "invalid_api_key")
        assert "k" * 100 not in err["message"]  # the key is not echoed
    assert cache._tokens.counts() == (0, 0) and lookups == []
    resp = gateway.get("/v1/models", headers={"Authorization": "Bearer sk-" + "k" * 200})
    assert_error(resp, 401, "invalid_api_key")
    _, _, key = make_key()
    assert_let_through(post(gateway, key))  # real keys still work
    assert cache._tokens.counts() == (1, 0)


def test_remembered_misses_stay_within_their_bound_and_never_evict_real_keys(
    gateway: httpx.Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cache._tokens, "max_missing", 50)
    _, _, key = make_key()
    assert_let_through(post(gateway, key))
    for _ in range(200):
        assert_error(post(gateway, "sk-" + secrets.token_hex(24)), 401, "invalid_api_key")
    assert cache._tokens.counts() == (1, 50)
    assert_let_through(post(gateway, key))


def test_headers_over_64_kb_are_431_in_openai_shape_on_every_relay_route(gateway: httpx.Client) -> None:
    pad = {"X-Padding": "p" * (64 * 1024 + 1)}
    for resp in (gateway.post("/v1/chat/completions", json=CHAT, headers=pad),  # hot path
                 gateway.get("/v1/models", headers=pad)):  # through FastAPI
        err = assert_error(resp, 431, "request_header_fields_too_large")
        assert err["message"].startswith("request headers too large (limit 64 KB)")


def test_non_hot_relay_routes_are_bound_while_reading_too(gateway: httpx.Client) -> None:
    _, _, key = make_key()

    def chunks() -> Iterator[bytes]:  # no Content-Length
        for _ in range(40):
            yield b" " * 65536

    resp = gateway.post("/v1/engines/text-embedding-3-small/embeddings", content=chunks(),
                        headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"})
    assert_error(resp, 413, "request_body_too_large")
