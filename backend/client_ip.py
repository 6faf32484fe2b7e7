"""The caller's address: the socket peer, or what a trusted reverse proxy says it saw.

Behind a reverse proxy every request comes from the proxy's address, so per-IP rate limits would put
every user in one bucket and token IP allow-lists would see only the proxy. `X-Forwarded-For` and
`X-Real-IP` fix that, but anyone can send them, so they count only when the socket peer is in
TRUSTED_PROXIES (IPs or CIDR ranges; empty = trust nobody, the safe default). Then the chain is read
from the right: each hop a trusted proxy appended is skipped, and the first untrusted one is the
client (anything further left was written by the client and could be forged).

One rule for every consumer: the /api rate limits, the relay (token IP allow-lists, usage logs)
and the console's per-IP limits (`from_headers`).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping
from functools import lru_cache

from starlette.types import Scope

from backend.config import get_settings

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=8)
def trusted_networks(raw: str) -> tuple[IPNetwork, ...]:
    """TRUSTED_PROXIES parsed; a malformed entry is a start-up mistake worth failing loudly on."""
    nets: list[IPNetwork] = []
    for entry in raw.replace(";", ",").split(","):
        entry = entry.strip()
        if not entry:
            continue
        try:
            nets.append(ipaddress.ip_network(entry, strict=False))
        except ValueError as exc:
            raise ValueError(f"TRUSTED_PROXIES: {entry!r} is not an IP address or CIDR range") from exc
    return tuple(nets)


def parse_ip(text: str) -> IPAddress | None:
    """An address as proxies write it: bare, `[v6]`, with a `:port`, or IPv4-mapped IPv6 (unwrapped)."""
    text = text.strip().strip('"')
    if not text:
        return None
    candidates = [text]
    if text.startswith("["):  # [2001:db8::1]:443
        candidates.append(text[1:].split("]", 1)[0])
    elif text.count(":") == 1:  # 203.0.113.7:51234
        candidates.append(text.split(":", 1)[0])
    for candidate in candidates:
        try:
            addr = ipaddress.ip_address(candidate.split("%", 1)[0])
        except ValueError:
            continue
        if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
            return addr.ipv4_mapped
        return addr
    return None


def _trusted(addr: IPAddress | None, nets: tuple[IPNetwork, ...]) -> bool:
    return addr is not None and any(addr.version == n.version and addr in n for n in nets)


def _header_values(scope: Scope, name: bytes) -> list[str]:
    """Every occurrence of a header, in order (a repeated X-Forwarded-For is one list)."""
    return [v.decode("latin-1") for k, v in scope.get("headers") or () if k.lower() == name]


def resolve(peer: str, forwarded_for: Iterable[str], real_ip: str, trusted: tuple[IPNetwork, ...]) -> str:
    """The pure rule, for tests: peer untrusted -> peer; else the rightmost untrusted XFF hop, else
    X-Real-IP, else the peer."""
    peer_addr = parse_ip(peer)
    if not trusted or not _trusted(peer_addr, trusted):
        return peer
    hops = [h for value in forwarded_for for h in value.split(",") if h.strip()]
    nearest = str(peer_addr)
    for hop in reversed(hops):
        addr = parse_ip(hop)
        if addr is None:  # garbage in the chain: stop at the last address we can vouch for
            return nearest
        if not _trusted(addr, trusted):
            return str(addr)
        nearest = str(addr)  # a trusted proxy further out; keep walking left
    if hops:
        return nearest  # every hop is a trusted proxy: the leftmost is the origin
    real = parse_ip(real_ip)
    return str(real) if real is not None else str(peer_addr)


def from_headers(peer: str, headers: Mapping[str, str]) -> str:
    """The same rule for callers that have the peer and lower-cased headers but no scope (the
    console's websocket session)."""
    raw = get_settings().TRUSTED_PROXIES
    if not raw.strip():
        return peer
    xff = headers.get("x-forwarded-for", "")
    return resolve(peer, [xff] if xff else [], headers.get("x-real-ip", ""), trusted_networks(raw))


def client_ip(scope: Scope) -> str:
    """The caller's address for a request's ASGI scope ("" when the server gives no peer)."""
    client = scope.get("client")
    peer = client[0] if client else ""
    raw = get_settings().TRUSTED_PROXIES
    if not raw.strip():
        return peer
    real = _header_values(scope, b"x-real-ip")
    return resolve(peer, _header_values(scope, b"x-forwarded-for"), real[0] if real else "", trusted_networks(raw))
