"""SSRF rules (`services/ssrf.py`), one table per rule, and the option keys they read."""

from __future__ import annotations

import ipaddress
import socket

import pytest

from backend.services import options, ssrf
from backend.services.errors import ServiceError
from backend.services.ssrf import BlockedURL, FetchPolicy

DEFAULT = FetchPolicy()
PUBLIC_V4, PUBLIC_V6 = "93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946"


def refused(url: str, policy: FetchPolicy = DEFAULT) -> str:
    with pytest.raises(BlockedURL) as info:
        ssrf.check_url(url, policy)
    assert info.value.status == 400
    return info.value.message


@pytest.mark.parametrize(
    ("address", "private"),
    [
        ("10.1.2.3", True), ("172.16.0.1", True), ("172.31.255.255", True), ("172.32.0.1", False),
        ("192.168.1.1", True), ("127.0.0.1", True), ("127.255.0.9", True), ("169.254.169.254", True),
        ("0.0.0.0", True), ("0.1.2.3", True), ("100.64.0.1", True), ("224.0.0.1", True), ("239.1.1.1", True),
        ("240.0.0.1", True), ("255.255.255.255", True), ("8.8.8.8", False), (PUBLIC_V4, False),
        ("::1", True), ("::", True), ("fe80::1", True), ("fc00::1", True), ("fd12:3456::1", True), ("ff02::1", True),
        ("::ffff:127.0.0.1", True), ("::ffff:10.0.0.1", True), ("::ffff:8.8.8.8", False),
        ("64:ff9b::a00:1", True), ("64:ff9b::808:808", False),  # NAT64 of 10.0.0.1 / 8.8.8.8
        ("2002:7f00:1::", True),  # 6to4 of 127.0.0.1
        (PUBLIC_V6, False),
    ],
)
def test_private_addresses(address: str, private: bool) -> None:
    assert ssrf.is_private(ipaddress.ip_address(address)) is private


@pytest.mark.parametrize(
    ("entries", "expected"),
    [
        (["80", "443"], ((80, 80), (443, 443))),
        ([" 8000-9000 ", ""], ((8000, 9000),)),
        ([], ()),
    ],
)
def test_port_ranges(entries: list[str], expected: tuple) -> None:
    assert ssrf.parse_ports(entries) == expected


@pytest.mark.parametrize("bad", [["http"], ["0"], ["65536"], ["9000-8000"], ["1-2-3"], ["80-"]])
def test_bad_port_settings_refuse_everything(bad: list[str]) -> None:
    with pytest.raises(ValueError):
        ssrf.parse_ports(bad)
    assert "allowed_ports setting is invalid" in refused("https://example.com/", FetchPolicy(allowed_ports=tuple(bad)))


@pytest.mark.parametrize(
    ("host", "entries", "listed"),
    [
        ("example.com", ["example.com"], True),
        ("EXAMPLE.com.", ["example.com"], True),
        ("api.example.com", ["example.com"], False),
        ("api.example.com", ["*.example.com"], True),
        ("example.com", ["*.example.com"], True),
        ("badexample.com", ["*.example.com"], False),
        ("example.com.evil.net", ["example.com"], False),
        ("xn--bcher-kva.example", ["bücher.example"], True),
        ("x.test", [], False),
    ],
)
def test_domain_list_matching(host: str, entries: list[str], listed: bool) -> None:
    assert ssrf.domain_listed(host, tuple(entries)) is listed


@pytest.mark.parametrize(
    ("url", "policy", "reason"),
    [
        ("ftp://example.com/x", DEFAULT, "scheme"),
        ("file:///etc/passwd", DEFAULT, "scheme"),
        ("gopher://127.0.0.1:6379/_x", DEFAULT, "scheme"),
        ("example.com/x", DEFAULT, "scheme"),
        ("http:///x", DEFAULT, "host"),
        ("http://example.com:22/", DEFAULT, "port 22"),
        ("https://example.com:6379/", DEFAULT, "port 6379"),
        ("http://127.0.0.1/", DEFAULT, "private"),
        ("http://127.1/", DEFAULT, "private"),  # legacy spellings resolvers accept
        ("http://0x7f.1/", DEFAULT, "private"),
        ("http://2130706433/", DEFAULT, "private"),
        ("http://0/", DEFAULT, "private"),
        ("http://[::1]/", DEFAULT, "private"),
        ("http://[::ffff:127.0.0.1]/", DEFAULT, "private"),
        ("http://169.254.169.254/latest/meta-data/", DEFAULT, "private"),
        ("http://user@10.0.0.1/", DEFAULT, "private"),
        ("http://evil.example/", FetchPolicy(domain_list=("evil.example",)), "blacklist"),
        ("http://a.evil.example/", FetchPolicy(domain_list=("*.evil.example",)), "blacklist"),
        ("http://other.example/", FetchPolicy(domain_whitelist=True, domain_list=("good.example",)), "whitelist"),
        ("http://8.8.8.8/", FetchPolicy(ip_list=("8.8.0.0/16",)), "blacklist"),
        ("http://8.8.8.8/", FetchPolicy(ip_whitelist=True, ip_list=("1.1.1.1",)), "whitelist"),
        # a whitelisted private address still needs allow_private_ip (new-api's order)
        ("http://10.0.0.1/", FetchPolicy(ip_whitelist=True, ip_list=("10.0.0.0/8",)), "private"),
    ],
)
def test_refused_urls(url: str, policy: FetchPolicy, reason: str) -> None:
    assert reason in refused(url, policy)


@pytest.mark.parametrize(
    ("url", "policy"),
    [
        ("https://example.com/a.png", DEFAULT),
        ("http://example.com:8080/", DEFAULT),
        (f"https://{PUBLIC_V4}/x", DEFAULT),
        (f"https://[{PUBLIC_V6}]/x", DEFAULT),
        ("http://127.0.0.1:8080/", FetchPolicy(allow_private_ip=True)),
        ("http://10.0.0.1/", FetchPolicy(allow_private_ip=True, ip_whitelist=True, ip_list=("10.0.0.0/8",))),
        ("http://example.com:22/", FetchPolicy(allowed_ports=())),  # an empty list allows every port
        ("http://example.com:8500/", FetchPolicy(allowed_ports=("8000-9000",))),
        ("https://good.example/", FetchPolicy(domain_whitelist=True, domain_list=("good.example",))),
        ("http://127.0.0.1:22/", FetchPolicy(enabled=False)),  # protection off: anything goes
    ],
)
def test_allowed_urls(url: str, policy: FetchPolicy) -> None:
    ssrf.check_url(url, policy)


@pytest.fixture
def dns(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[str]]:
    """Answers getaddrinfo for made-up names; an unknown name fails like a real lookup."""
    table: dict[str, list[str]] = {}

    async def lookup(host: str, port: int, family: int) -> list[tuple]:
        if host not in table:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        rows = []
        for addr in table[host]:
            fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
            sockaddr = (addr, port, 0, 0) if fam == socket.AF_INET6 else (addr, port)
            rows.append((fam, socket.SOCK_STREAM, 6, "", sockaddr))
        return rows

    monkeypatch.setattr(ssrf, "_getaddrinfo", lookup)
    return table


@pytest.mark.parametrize(
    ("addresses", "policy", "reason"),
    [
        (["127.0.0.1"], DEFAULT, "resolves to 127.0.0.1, a private"),
        ([PUBLIC_V4, "10.0.0.7"], DEFAULT, "resolves to 10.0.0.7"),  # every address, not the first only
        ([PUBLIC_V6, "::1"], DEFAULT, "resolves to ::1"),
        (["8.8.8.8"], FetchPolicy(ip_list=("8.8.8.8",)), "blacklist"),
        (["8.8.8.8"], FetchPolicy(ip_whitelist=True, ip_list=("1.1.1.1",)), "whitelist"),
    ],
)
async def test_resolved_addresses_are_each_checked(dns, addresses: list[str], policy: FetchPolicy, reason: str) -> None:
    dns["name.test"] = addresses
    with pytest.raises(BlockedURL, match=reason):
        await ssrf.check_url_resolved("https://name.test/x", policy)


async def test_resolution_rules(dns) -> None:
    dns["ok.test"] = [PUBLIC_V4, PUBLIC_V6]
    await ssrf.check_url_resolved("https://ok.test/x", DEFAULT)
    dns["inner.test"] = ["10.0.0.7"]
    await ssrf.check_url_resolved("https://inner.test/", FetchPolicy(allow_private_ip=True))
    # new-api's switch: without apply_ip_filter_for_domain a name is judged by the domain lists only
    await ssrf.check_url_resolved("https://inner.test/", FetchPolicy(ip_filter_for_domain=False))
    with pytest.raises(BlockedURL, match="DNS resolution failed"):
        await ssrf.check_url_resolved("https://unknown.test/", DEFAULT)


def test_policy_reads_new_apis_option_keys(storage) -> None:
    assert ssrf.policy_from_options() == FetchPolicy()  # the registered defaults are new-api's
    options.update("fetch_setting.allow_private_ip", "true")
    options.update("fetch_setting.domain_filter_mode", "true")
    options.update("fetch_setting.domain_list", '["*.example.com"]')
    options.update("fetch_setting.ip_list", '["10.0.0.0/8"]')
    options.update("fetch_setting.allowed_ports", '["443", "8000-9000"]')
    options.update("fetch_setting.apply_ip_filter_for_domain", "false")
    options.update("fetch_setting.enable_ssrf_protection", "false")
    assert ssrf.policy_from_options() == FetchPolicy(
        enabled=False, allow_private_ip=True, domain_whitelist=True, domain_list=("*.example.com",),
        ip_list=("10.0.0.0/8",), allowed_ports=("443", "8000-9000"), ip_filter_for_domain=False,
    )


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("fetch_setting.allowed_ports", '["80", "http"]'),
        ("fetch_setting.allowed_ports", '["0"]'),
        ("fetch_setting.domain_list", '{"a": 1}'),
        ("fetch_setting.ip_list", "10.0.0.0/8"),
        ("fetch_setting.allow_private_ip", "yes please"),
    ],
)
def test_bad_fetch_settings_are_refused_on_save(storage, key: str, value: str) -> None:
    with pytest.raises(ServiceError):
        options.update(key, value)
