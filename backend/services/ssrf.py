"""Which URLs the gateway may fetch on a caller's behalf (SSRF protection), with new-api's options.

Applies to URLs that callers and users supply (image and file URLs in requests, webhook and
notification targets, task result proxies), never to channel base URLs: those are operator
configuration and may point anywhere, loopback included.

The rules and defaults are new-api's `fetch_setting.*` (common/ssrf_protection.go):
- only http and https; the port (explicit or the scheme's) must be in `allowed_ports`
  (`"80"`, `"8000-9000"`; an empty list allows every port; a malformed entry refuses everything);
- an IP literal host: refused when private (unless `allow_private_ip`), then `ip_list` as a
  whitelist (`ip_filter_mode` true) or blacklist;
- a domain: `domain_list` (`example.com`, `*.example.com`) as a whitelist (`domain_filter_mode`
  true) or blacklist; then, when `apply_ip_filter_for_domain`, every address it resolves to must
  pass the IP rules.
Stricter than new-api where its Go checks have gaps: "private" also covers 0.0.0.0/8, CGNAT
100.64/10, multicast, reserved and the IPv4 embedded in IPv4-mapped, NAT64 and 6to4 addresses;
legacy IPv4 spellings (`127.1`, `0x7f.1`) are IP literals.

These are pure checks (plus one DNS lookup in `resolve_checked`); `safe_fetch` connects only to
the addresses `resolve_checked` approved, so DNS rebinding cannot swap them between check and use.
"""

from __future__ import annotations

import asyncio
import ipaddress
import re
import socket
from dataclasses import dataclass
from typing import Any

import yarl

from backend.services import options
from backend.services.errors import Message, ServiceError, msg

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

KEYS = {
    "enabled": "fetch_setting.enable_ssrf_protection",
    "allow_private_ip": "fetch_setting.allow_private_ip",
    "domain_whitelist": "fetch_setting.domain_filter_mode",
    "ip_whitelist": "fetch_setting.ip_filter_mode",
    "domain_list": "fetch_setting.domain_list",
    "ip_list": "fetch_setting.ip_list",
    "allowed_ports": "fetch_setting.allowed_ports",
    "ip_filter_for_domain": "fetch_setting.apply_ip_filter_for_domain",
}
_LEGACY_IPV4 = re.compile(r"^(0x[0-9a-f]+|[0-9]+)(\.(0x[0-9a-f]+|[0-9]+)){0,3}$", re.IGNORECASE)
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_CGNAT = ipaddress.ip_network("100.64.0.0/10")
_THIS_NETWORK = ipaddress.ip_network("0.0.0.0/8")


class BlockedURL(ServiceError):
    """The URL is not one the gateway fetches for callers; the message says which rule refused it."""

    def __init__(self, message: Message) -> None:
        super().__init__(msg("URL not allowed: {reason}", reason=message), 400)


@dataclass(frozen=True, slots=True)
class FetchPolicy:
    enabled: bool = True
    allow_private_ip: bool = False
    domain_whitelist: bool = False
    ip_whitelist: bool = False
    domain_list: tuple[str, ...] = ()
    ip_list: tuple[str, ...] = ()
    allowed_ports: tuple[str, ...] = ("80", "443", "8080", "8443")
    ip_filter_for_domain: bool = True


def _string_list(key: str) -> tuple[str, ...]:
    value = options.get_json(key)
    return tuple(str(v).strip() for v in value if str(v).strip()) if isinstance(value, list) else ()


def policy_from_options() -> FetchPolicy:
    """The current `fetch_setting.*` options (an in-memory snapshot read, no I/O)."""
    return FetchPolicy(
        enabled=options.get_bool(KEYS["enabled"]),
        allow_private_ip=options.get_bool(KEYS["allow_private_ip"]),
        domain_whitelist=options.get_bool(KEYS["domain_whitelist"]),
        ip_whitelist=options.get_bool(KEYS["ip_whitelist"]),
        domain_list=_string_list(KEYS["domain_list"]),
        ip_list=_string_list(KEYS["ip_list"]),
        allowed_ports=_string_list(KEYS["allowed_ports"]),
        ip_filter_for_domain=options.get_bool(KEYS["ip_filter_for_domain"]),
    )


# ---- the rules --------------------------------------------------------------------------------


def parse_ports(entries: tuple[str, ...] | list[str]) -> tuple[tuple[int, int], ...]:
    """`["80", "8000-9000"]` -> ((80, 80), (8000, 9000)); ValueError names a bad entry."""
    ranges = []
    for entry in entries:
        entry = str(entry).strip()
        if not entry:
            continue
        low, sep, high = entry.partition("-")
        try:
            start, end = int(low.strip()), int(high.strip()) if sep else int(low.strip())
        except ValueError:
            raise ValueError(f"invalid port {entry!r}") from None
        if not (1 <= start <= end <= 65535):
            raise ValueError(f"invalid port range {entry!r} (ports are 1-65535, start <= end)")
        ranges.append((start, end))
    return tuple(ranges)


def port_allowed(port: int, policy: FetchPolicy) -> bool:
    """An empty list allows every port (new-api). Raises ValueError on a broken setting."""
    ranges = parse_ports(policy.allowed_ports)
    return not ranges or any(lo <= port <= hi for lo, hi in ranges)


def _embedded_ipv4(addr: IPAddress) -> ipaddress.IPv4Address | None:
    if isinstance(addr, ipaddress.IPv4Address):
        return None
    if addr.ipv4_mapped is not None:
        return addr.ipv4_mapped
    if addr in _NAT64:
        return ipaddress.IPv4Address(int(addr) & 0xFFFFFFFF)
    return addr.sixtofour


def is_private(addr: IPAddress) -> bool:
    """Not a public unicast address: private, loopback, link-local, unique-local, multicast,
    reserved, unspecified, CGNAT, "this network", or an IPv6 form of any of those IPv4 ones."""
    inner = _embedded_ipv4(addr)
    if inner is not None:  # IPv4-mapped, NAT64, 6to4: the packet ends up at the IPv4 inside
        return is_private(inner)
    if isinstance(addr, ipaddress.IPv4Address) and (addr in _CGNAT or addr in _THIS_NETWORK):
        return True
    return (
        addr.is_private or addr.is_loopback or addr.is_link_local or addr.is_multicast
        or addr.is_reserved or addr.is_unspecified or not addr.is_global
    )


def ip_listed(addr: IPAddress, entries: tuple[str, ...]) -> bool:
    """`entries` are IPs or CIDR ranges; a malformed entry matches nothing."""
    for entry in entries:
        try:
            net = ipaddress.ip_network(entry.strip(), strict=False)
        except ValueError:
            continue
        candidates = [addr] + ([inner] if (inner := _embedded_ipv4(addr)) is not None else [])
        if any(a.version == net.version and a in net for a in candidates):
            return True
    return False


def check_ip(addr: IPAddress, policy: FetchPolicy, host: str | None = None) -> None:
    """BlockedURL unless `addr` passes the private-address rule and the IP list."""
    where = f"{host} resolves to {addr}" if host else str(addr)
    if is_private(addr) and not policy.allow_private_ip:
        raise BlockedURL(msg("{where}, a private or reserved address", where=where))
    listed = ip_listed(addr, policy.ip_list)
    if policy.ip_whitelist and not listed:
        raise BlockedURL(msg("{where}, which is not in the IP whitelist", where=where))
    if not policy.ip_whitelist and listed:
        raise BlockedURL(msg("{where}, which is in the IP blacklist", where=where))


def _normal_domain(name: str) -> str:
    name = name.strip().lower().rstrip(".")
    try:
        return name.encode("idna").decode("ascii")
    except UnicodeError:
        return name


def domain_listed(host: str, entries: tuple[str, ...]) -> bool:
    """Exact names, or `*.example.com` for example.com and any name under it."""
    host = _normal_domain(host)
    for entry in entries:
        entry = entry.strip().lower()
        if not entry:
            continue
        if entry.startswith("*."):
            suffix = _normal_domain(entry[2:])
            if host == suffix or host.endswith("." + suffix):
                return True
        elif host == _normal_domain(entry):
            return True
    return False


def literal_ip(host: str) -> IPAddress | None:
    """The host as an IP address, including the legacy IPv4 spellings resolvers accept."""
    try:
        return ipaddress.ip_address(host.strip("[]").split("%", 1)[0])
    except ValueError:
        pass
    if _LEGACY_IPV4.match(host.rstrip(".")):
        try:
            return ipaddress.IPv4Address(socket.inet_aton(host.rstrip(".")))
        except OSError:
            return None
    return None


@dataclass(frozen=True, slots=True)
class Target:
    url: yarl.URL
    host: str  # ASCII (IDNA) host, lower-case, no trailing dot
    port: int
    ip: IPAddress | None  # set when the host is an IP literal


def check_url(url: str | yarl.URL, policy: FetchPolicy | None = None) -> Target:
    """Every rule that needs no DNS: scheme, port, IP literal, domain list. BlockedURL if refused.
    Parsed with yarl, the parser the fetch itself uses, so the check and the request agree."""
    policy = policy or policy_from_options()
    try:
        parsed = url if isinstance(url, yarl.URL) else yarl.URL(str(url).strip())
    except (ValueError, TypeError) as exc:
        raise BlockedURL(msg("invalid URL ({exc})", exc=exc)) from None
    if parsed.scheme not in ("http", "https"):
        raise BlockedURL(msg("unsupported scheme {scheme!r}: only http and https", scheme=parsed.scheme or '(none)'))
    raw_host = parsed.raw_host or ""
    if not raw_host or any(c.isspace() for c in raw_host):
        raise BlockedURL(msg("the URL has no valid host"))
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    host = _normal_domain(raw_host)
    ip = literal_ip(raw_host)
    if not policy.enabled:
        return Target(parsed, host, port, ip)
    try:
        if not port_allowed(port, policy):
            raise BlockedURL(msg("port {port} is not allowed", port=port))
    except ValueError as exc:
        raise BlockedURL(msg("the allowed_ports setting is invalid: {exc}", exc=exc)) from None
    if ip is not None:
        check_ip(ip, policy)
        return Target(parsed, str(ip), port, ip)
    listed = domain_listed(host, policy.domain_list)
    if policy.domain_whitelist and not listed:
        raise BlockedURL(msg("{host} is not in the domain whitelist", host=host))
    if not policy.domain_whitelist and listed:
        raise BlockedURL(msg("{host} is in the domain blacklist", host=host))
    return Target(parsed, host, port, None)


# ---- DNS --------------------------------------------------------------------------------------


async def _getaddrinfo(host: str, port: int, family: int) -> list[tuple[Any, ...]]:
    """The system resolver (a seam: tests answer for their own names here)."""
    return await asyncio.get_running_loop().getaddrinfo(host, port, family=family, type=socket.SOCK_STREAM)


async def resolve_checked(
    host: str, port: int, policy: FetchPolicy, family: int = socket.AF_UNSPEC
) -> list[tuple[IPAddress, tuple[Any, ...]]]:
    """Resolve `host` and check every address it gives (one bad address refuses the host: the
    connection could land on any of them). Returns the approved (address, getaddrinfo row) pairs,
    which are the only ones to connect to."""
    try:
        rows = await _getaddrinfo(host, port, family)
    except OSError as exc:
        raise BlockedURL(msg("DNS resolution failed for {host}", host=host)) from exc
    approved = []
    for row in rows:
        addr = ipaddress.ip_address(str(row[4][0]).split("%", 1)[0])
        if policy.enabled and policy.ip_filter_for_domain:
            check_ip(addr, policy, host)
        approved.append((addr, row))
    if not approved:
        raise BlockedURL(msg("DNS resolution failed for {host}", host=host))
    return approved


async def check_url_resolved(url: str, policy: FetchPolicy | None = None) -> Target:
    """`check_url` plus the DNS rule, for callers that only validate (e.g. before storing a URL).
    A fetch must still go through `safe_fetch`, which re-checks at connect time."""
    policy = policy or policy_from_options()
    target = check_url(url, policy)
    if policy.enabled and target.ip is None and policy.ip_filter_for_domain:
        await resolve_checked(target.host, target.port, policy)
    return target
