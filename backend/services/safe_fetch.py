"""Fetch a caller- or user-supplied URL safely: SSRF rules (`ssrf.py`), a size cap, a timeout.

For feature code that downloads an image a request names, posts a user's webhook or fetches a
task result. Never for channel traffic (`relay/upstream.py`), whose base URLs are operator
configuration.

How each rule holds:
- The URL is checked before the request (scheme, port, host lists, IP literals) and again for
  every redirect hop, which is followed by hand (at most `max_redirects`).
- Names are resolved by a resolver that checks every address and hands the connector only the
  approved ones, on every connection (no DNS cache, no pooled connection reused): the address
  checked is the address connected to, so a DNS answer that changes between a check and the
  connection (rebinding) cannot sneak a private address in.
- No proxy from the environment (`trust_env=False`): a proxy would resolve the name itself.
- The body is read up to `max_bytes` (MAX_FILE_DOWNLOAD_MB by default) and refused beyond; the
  whole exchange has `timeout` seconds.
"""

from __future__ import annotations

import socket
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import aiohttp
import orjson
import yarl
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import ThreadedResolver

from backend.config import get_settings
from backend.services import ssrf
from backend.services.errors import Message, ServiceError, msg

DEFAULT_TIMEOUT = 20.0
REDIRECTS = frozenset({301, 302, 303, 307, 308})


class FetchFailed(ServiceError):
    """The URL was allowed but fetching it failed (unreachable, timed out, too large, too many redirects)."""

    def __init__(self, message: Message) -> None:
        super().__init__(message, 502)


class _Refused(OSError):
    """Raised inside aiohttp's resolver (which only passes OSErrors through cleanly) to carry a
    BlockedURL out of the connector."""

    def __init__(self, blocked: ssrf.BlockedURL) -> None:
        super().__init__(blocked.message)
        self.blocked = blocked


class CheckedResolver(AbstractResolver):
    """Resolves with `ssrf.resolve_checked`: aiohttp connects to exactly what was approved."""

    def __init__(self, policy: ssrf.FetchPolicy) -> None:
        self.policy = policy

    async def resolve(self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET) -> list[ResolveResult]:
        try:
            approved = await ssrf.resolve_checked(host, port, self.policy, family)
        except ssrf.BlockedURL as exc:
            raise _Refused(exc) from None
        return [
            ResolveResult(hostname=host, host=str(addr), port=int(row[4][1]), family=row[0], proto=row[2],
                          flags=socket.AI_NUMERICHOST | socket.AI_NUMERICSERV)
            for addr, row in approved
        ]

    async def close(self) -> None:
        return None


@dataclass(frozen=True, slots=True)
class Fetched:
    status: int
    headers: Mapping[str, str]
    body: bytes
    url: str  # the final URL, after redirects


def _blocked_cause(exc: BaseException) -> ssrf.BlockedURL | None:
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, _Refused):
            return seen.blocked
        seen = getattr(seen, "os_error", None) or seen.__cause__ or seen.__context__
    return None


async def _read_capped(resp: aiohttp.ClientResponse, cap: int) -> bytes:
    length = resp.headers.get("Content-Length", "")
    if length.isdigit() and int(length) > cap:
        raise FetchFailed(msg("the response is larger than {cap} bytes", cap=cap))
    buf = bytearray()
    async for chunk in resp.content.iter_chunked(65536):
        buf += chunk
        if len(buf) > cap:
            raise FetchFailed(msg("the response is larger than {cap} bytes", cap=cap))
    return bytes(buf)


async def fetch(
    url: str,
    *,
    method: str = "GET",
    headers: Mapping[str, str] | None = None,
    data: bytes | None = None,
    max_bytes: int | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    max_redirects: int = 3,
    policy: ssrf.FetchPolicy | None = None,
) -> Fetched:
    """One request under the fetch rules. BlockedURL (400) when a rule refuses the URL or a
    redirect, FetchFailed (502) when the fetch itself fails. Any status is returned, not raised."""
    policy = policy or ssrf.policy_from_options()
    cap = max_bytes if max_bytes is not None else get_settings().MAX_FILE_DOWNLOAD_MB * 1024 * 1024
    checked = policy.enabled and policy.ip_filter_for_domain
    connector = aiohttp.TCPConnector(
        resolver=CheckedResolver(policy) if checked else ThreadedResolver(),
        use_dns_cache=False,
        force_close=True,
    )
    session = aiohttp.ClientSession(
        connector=connector, timeout=aiohttp.ClientTimeout(total=timeout), trust_env=False, auto_decompress=True
    )
    current = ssrf.check_url(url, policy).url
    try:
        async with session:
            for _hop in range(max_redirects + 1):
                async with session.request(method, current, headers=dict(headers or {}), data=data,
                                           allow_redirects=False) as resp:
                    location = resp.headers.get("Location")
                    if resp.status in REDIRECTS and location:
                        current = ssrf.check_url(current.join(yarl.URL(location)), policy).url
                        if resp.status == 303 or (resp.status in (301, 302) and method == "POST"):
                            method, data = "GET", None  # what clients do; 307/308 keep both
                        continue
                    body = await _read_capped(resp, cap)
                    return Fetched(resp.status, dict(resp.headers), body, str(resp.url))
    except (ssrf.BlockedURL, FetchFailed):
        raise
    except TimeoutError:
        raise FetchFailed(msg("fetching {host} timed out after {timeout:g}s", host=current.host, timeout=timeout)) from None
    except (aiohttp.ClientError, OSError, ValueError) as exc:
        blocked = _blocked_cause(exc)
        if blocked is not None:
            raise blocked from None
        raise FetchFailed(msg("could not fetch {host}: {error}", host=current.host, error=type(exc).__name__)) from None
    raise FetchFailed(msg("more than {max_redirects} redirects", max_redirects=max_redirects))


async def post_json(url: str, payload: Any, *, headers: Mapping[str, str] | None = None, **kw: Any) -> Fetched:
    """A JSON POST under the same rules (webhooks)."""
    return await fetch(url, method="POST", data=orjson.dumps(payload),
                 headers={"Content-Type": "application/json", **dict(headers or {})}, **kw)
