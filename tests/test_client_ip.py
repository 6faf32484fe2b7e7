"""The caller's address behind reverse proxies (TRUSTED_PROXIES): the rule itself, then through the
/api rate limit and a relay key's IP allow-list, with the socket peer set by the test client."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from backend import lifecycle
from backend.client_ip import parse_ip, resolve, trusted_networks
from backend.config import Settings, reset_settings
from backend.main import create_app
from tests.relay.relay_seed import make_key

PROXY = "10.0.0.2"
CHAT = {"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}]}


@pytest.mark.parametrize(
    ("trusted", "peer", "xff", "real", "expected"),
    [
        # nobody trusted (the default): headers are ignored, whoever sends them
        ("", "203.0.113.5", ["1.1.1.1"], "2.2.2.2", "203.0.113.5"),
        # a forged header from a peer that is not a trusted proxy
        ("10.0.0.0/8", "203.0.113.5", ["1.1.1.1"], "2.2.2.2", "203.0.113.5"),
        # the trusted proxy's header names the client
        ("10.0.0.0/8", PROXY, ["198.51.100.7"], "", "198.51.100.7"),
        # the client forged hops to the left of what the proxy appended: the rightmost untrusted wins
        ("10.0.0.0/8", PROXY, ["6.6.6.6, 198.51.100.7"], "", "198.51.100.7"),
        # two trusted proxies in a row (CDN edge 10.1.1.1 -> ingress 10.0.0.2): skip both
        ("10.0.0.0/8", PROXY, ["6.6.6.6, 198.51.100.7, 10.1.1.1"], "", "198.51.100.7"),
        # repeated X-Forwarded-For headers form one chain, in order
        ("10.0.0.0/8", PROXY, ["6.6.6.6", "198.51.100.7, 10.1.1.1"], "", "198.51.100.7"),
        # every hop trusted: the leftmost is the origin
        ("10.0.0.0/8", PROXY, ["10.9.9.9, 10.1.1.1"], "", "10.9.9.9"),
        # garbage where an address should be: stop at the last hop a trusted proxy vouched for
        ("10.0.0.0/8", PROXY, ["198.51.100.7, not-an-ip, 10.1.1.1"], "", "10.1.1.1"),
        ("10.0.0.0/8", PROXY, ["junk"], "", PROXY),
        # no X-Forwarded-For: X-Real-IP from a trusted peer, else the peer
        ("10.0.0.0/8", PROXY, [], "198.51.100.8", "198.51.100.8"),
        ("10.0.0.0/8", PROXY, [], "junk", PROXY),
        # ports and IPv6 forms proxies write
        ("10.0.0.0/8", PROXY, ["198.51.100.7:4711"], "", "198.51.100.7"),
        ("10.0.0.0/8,fd00::/8", "fd00::1", ["[2001:db8::5]:443"], "", "2001:db8::5"),
        # an IPv4-mapped IPv6 peer matches an IPv4 range
        ("10.0.0.0/8", "::ffff:10.0.0.2", ["198.51.100.7"], "", "198.51.100.7"),
        # a single trusted address, not a range
        ("127.0.0.1", "127.0.0.1", ["198.51.100.7"], "", "198.51.100.7"),
        ("127.0.0.1", "127.0.0.2", ["198.51.100.7"], "", "127.0.0.2"),
    ],
)
def test_resolve(trusted: str, peer: str, xff: list[str], real: str, expected: str) -> None:
    assert resolve(peer, xff, real, trusted_networks(trusted)) == expected


def test_parse_ip_forms() -> None:
    assert str(parse_ip(" 198.51.100.7 ")) == "198.51.100.7"
    assert str(parse_ip("[::1]:80")) == "::1"
    assert str(parse_ip("::ffff:192.0.2.1")) == "192.0.2.1"
    assert parse_ip("") is None and parse_ip("example.com") is None and parse_ip("unknown") is None


def test_a_typo_in_trusted_proxies_stops_start_up(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRUSTED_PROXIES", "10.0.0.0/8, 10.0.0.300")
    with pytest.raises(ValueError, match="10.0.0.300"):
        Settings()


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch) -> Iterator[callable]:
    def set_env(**values: str) -> None:
        for k, v in values.items():
            monkeypatch.setenv(k, v)
        reset_settings()
        lifecycle.reset_process_state()

    yield set_env
    reset_settings()


def client_from(peer: str) -> TestClient:
    return TestClient(create_app(with_lifespan=False), client=(peer, 40000))


def test_api_rate_limit_ignores_a_forged_header_from_an_untrusted_peer(sqlite_storage, env) -> None:
    env(GLOBAL_API_RATE_LIMIT_ENABLE="true", GLOBAL_API_RATE_LIMIT="2", GLOBAL_API_RATE_LIMIT_DURATION="600",
        TRUSTED_PROXIES="10.0.0.0/8")
    c = client_from("203.0.113.5")
    # a new X-Forwarded-For every time does not buy a new bucket
    codes = [c.get("/api/status", headers={"X-Forwarded-For": f"198.51.100.{i}"}).status_code for i in range(3)]
    assert codes == [200, 200, 429]


def test_api_rate_limit_buckets_per_client_behind_a_trusted_proxy(sqlite_storage, env) -> None:
    env(GLOBAL_API_RATE_LIMIT_ENABLE="true", GLOBAL_API_RATE_LIMIT="2", GLOBAL_API_RATE_LIMIT_DURATION="600",
        TRUSTED_PROXIES="10.0.0.0/8")
    c = client_from(PROXY)
    alice, bob = {"X-Forwarded-For": "198.51.100.1"}, {"X-Forwarded-For": "6.6.6.6, 198.51.100.2"}
    assert [c.get("/api/status", headers=alice).status_code for _ in range(3)] == [200, 200, 429]
    # bob shares the proxy's socket but not alice's bucket; his forged left-hand hop does not matter
    assert [c.get("/api/status", headers=bob).status_code for _ in range(3)] == [200, 200, 429]


def test_api_rate_limit_without_trusted_proxies_is_per_socket_peer(sqlite_storage, env) -> None:
    env(GLOBAL_API_RATE_LIMIT_ENABLE="true", GLOBAL_API_RATE_LIMIT="1", GLOBAL_API_RATE_LIMIT_DURATION="600")
    c = client_from(PROXY)
    assert c.get("/api/status", headers={"X-Forwarded-For": "198.51.100.1"}).status_code == 200
    assert c.get("/api/status", headers={"X-Forwarded-For": "198.51.100.2"}).status_code == 429


def _relay(c: TestClient, key: str, **headers: str):
    return c.post("/v1/chat/completions", json=CHAT, headers={"Authorization": f"Bearer {key}", **headers})


def test_relay_ip_allow_list_uses_the_forwarded_client_only_from_a_trusted_proxy(sqlite_storage, env) -> None:
    _, _, key = make_key(allow_ips="198.51.100.0/24")
    # untrusted peer forging the allowed address: refused, and the message names the real peer
    env(TRUSTED_PROXIES="10.0.0.0/8")
    forged = _relay(client_from("203.0.113.5"), key, **{"X-Forwarded-For": "198.51.100.7"})
    assert forged.status_code == 403 and "203.0.113.5" in forged.json()["error"]["message"]
    # through the trusted proxy: the client's address is checked (503 = auth passed, no channel)
    proxied = client_from(PROXY)
    assert _relay(proxied, key, **{"X-Forwarded-For": "198.51.100.7"}).status_code == 503
    assert _relay(proxied, key, **{"X-Real-IP": "198.51.100.9"}).status_code == 503
    # a chain where the client forged an allowed hop before its real address
    chained = _relay(proxied, key, **{"X-Forwarded-For": "198.51.100.7, 203.0.113.9, 10.1.1.1"})
    assert chained.status_code == 403 and "203.0.113.9" in chained.json()["error"]["message"]
    # with nobody trusted, even the proxy's header is ignored
    env(TRUSTED_PROXIES="")
    assert _relay(client_from(PROXY), key, **{"X-Forwarded-For": "198.51.100.7"}).status_code == 403
