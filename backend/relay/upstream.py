"""The one pooled HTTP client the relay talks to upstreams with.

aiohttp, because on this path it costs 4-60x less CPU per call than httpx (docs/benchmarks.md:
httpcore scans its whole pool on every request). Channels with a `setting.proxy` use it too for
http(s) proxies; SOCKS proxies, which aiohttp cannot speak without another package, get an httpx
client of their own per proxy URL (httpx does SOCKS with `socksio`). Kept behind `UpstreamClient`
so another implementation can be swapped in with `set_client_factory`. The client is made in the
start-up hook, inside the running loop as aiohttp requires, and closed at shutdown.
"""

from __future__ import annotations

import abc
import asyncio
import contextlib
import re
from collections.abc import AsyncGenerator, Callable, Mapping

import aiohttp
import httpx
from yarl import URL

from backend import lifecycle
from backend.config import get_settings
from backend.relay.adaptors.base import UpstreamRequest

DRAIN_SECONDS = 0.02  # after [DONE] only the chunked terminator is normally left
DRAIN_BYTES = 64 * 1024
KEEPALIVE_SECONDS = 90.0


class UpstreamTransportError(Exception):
    """The upstream could not be reached or dropped the connection (the channel's fault)."""


class UpstreamResponse(abc.ABC):
    """Status and headers have arrived; the body is read by the caller, then `aclose()`."""

    status_code: int
    headers: Mapping[str, str]  # case-insensitive

    @abc.abstractmethod
    async def aread(self) -> bytes: ...

    @abc.abstractmethod
    def aiter_bytes(self) -> AsyncGenerator[bytes, None]: ...  # closed with aclose() when a stream stops early

    @abc.abstractmethod
    async def aclose(self) -> None:
        """Give the connection up; a body not read to its end closes it (the upstream stops)."""

    async def finish(self) -> None:
        """The caller read all it wanted (a stream's [DONE]): keep the connection if that is cheap."""
        await self.aclose()


class UpstreamClient(abc.ABC):
    @abc.abstractmethod
    async def send(self, req: UpstreamRequest) -> UpstreamResponse:
        """Send and return once the status line and headers are in; UpstreamTransportError otherwise."""

    @abc.abstractmethod
    async def aclose(self) -> None: ...


# -- aiohttp ---------------------------------------------------------------------------------------

_AIOHTTP_ERRORS = (aiohttp.ClientError, TimeoutError, OSError)
_NEEDS_QUOTING = re.compile(r"[^A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]")


def _url(url: str) -> URL:
    """Sent as built: yarl would otherwise re-quote the path (`%3A` -> `:`), which breaks
    signatures computed over it (AWS SigV4). Only a URL with raw unsafe characters is quoted."""
    return URL(url) if _NEEDS_QUOTING.search(url) else URL(url, encoded=True)


class _AiohttpResponse(UpstreamResponse):
    __slots__ = ("_resp", "headers", "status_code")

    def __init__(self, resp: aiohttp.ClientResponse) -> None:
        self._resp = resp
        self.status_code = resp.status
        self.headers = resp.headers  # CIMultiDictProxy: case-insensitive

    async def aread(self) -> bytes:
        try:
            return await self._resp.read()
        except _AIOHTTP_ERRORS as exc:
            raise UpstreamTransportError(type(exc).__name__) from exc

    async def aiter_bytes(self) -> AsyncGenerator[bytes, None]:
        try:
            async for chunk in self._resp.content.iter_any():
                yield chunk
        except _AIOHTTP_ERRORS as exc:
            raise UpstreamTransportError(type(exc).__name__) from exc

    async def aclose(self) -> None:
        # A finished body returns the connection to the pool; an abandoned one (client gone,
        # error) is closed, which is what stops the upstream from generating.
        if self._resp.content.is_eof():
            self._resp.release()
        else:
            self._resp.close()

    async def finish(self) -> None:
        # The relay stops at `data: [DONE]`, before the chunked terminator: read what is left,
        # bounded in time and size, so the connection is reused instead of reconnecting per stream.
        content = self._resp.content
        with contextlib.suppress(*_AIOHTTP_ERRORS):
            async with asyncio.timeout(DRAIN_SECONDS):
                left = DRAIN_BYTES
                while left > 0 and not content.is_eof():
                    chunk = await content.readany()
                    if not chunk:
                        break
                    left -= len(chunk)
        await self.aclose()


# -- httpx, for SOCKS proxies ----------------------------------------------------------------------


class _HttpxResponse(UpstreamResponse):
    __slots__ = ("_resp", "headers", "status_code")

    def __init__(self, resp: httpx.Response) -> None:
        self._resp = resp
        self.status_code = resp.status_code
        self.headers = resp.headers

    async def aread(self) -> bytes:
        try:
            return await self._resp.aread()
        except httpx.HTTPError as exc:
            raise UpstreamTransportError(type(exc).__name__) from exc

    async def aiter_bytes(self) -> AsyncGenerator[bytes, None]:
        try:
            async for chunk in self._resp.aiter_raw():  # relayed as received, like the aiohttp path
                yield chunk
        except httpx.HTTPError as exc:
            raise UpstreamTransportError(type(exc).__name__) from exc

    async def aclose(self) -> None:
        await self._resp.aclose()


def _httpx_client(proxy: str, timeout: float | None) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        timeout=httpx.Timeout(timeout),
        limits=httpx.Limits(max_connections=None, max_keepalive_connections=100,
                            keepalive_expiry=KEEPALIVE_SECONDS),
        proxy=proxy,
        follow_redirects=False,
        trust_env=False,
        headers={"Accept-Encoding": "identity"},
    )


# -- the client ------------------------------------------------------------------------------------


class AiohttpUpstream(UpstreamClient):
    """Keep-alive pooling, no transparent decompression (replies are relayed byte for byte), no
    redirects, no proxies from the environment. RELAY_TIMEOUT (0 = none) bounds connect and each
    read; stream idleness is the streaming loop's business (STREAMING_TIMEOUT)."""

    def __init__(self) -> None:
        s = get_settings()
        self._timeout_s = s.RELAY_TIMEOUT if s.RELAY_TIMEOUT > 0 else None
        connector = aiohttp.TCPConnector(
            limit=0,  # no cap on open connections: 1,000 concurrent streams need 1,000
            limit_per_host=0,
            keepalive_timeout=KEEPALIVE_SECONDS,
            ttl_dns_cache=300,
        )
        self._session = aiohttp.ClientSession(
            connector=connector,
            timeout=aiohttp.ClientTimeout(total=None, sock_connect=self._timeout_s, sock_read=self._timeout_s),
            auto_decompress=False,
            trust_env=False,
            skip_auto_headers=("User-Agent",),
            headers={"Accept-Encoding": "identity"},
        )
        self._socks: dict[str, httpx.AsyncClient] = {}

    async def send(self, req: UpstreamRequest) -> UpstreamResponse:
        proxy = req.proxy or None
        if proxy and not proxy.startswith(("http://", "https://")):
            return await self._send_httpx(req, proxy)
        try:
            resp = await self._session.request(
                req.method, _url(req.url), headers=req.headers, data=req.body, proxy=proxy, allow_redirects=False
            )
        except (*_AIOHTTP_ERRORS, ValueError) as exc:
            raise UpstreamTransportError(type(exc).__name__) from exc
        return _AiohttpResponse(resp)

    async def _send_httpx(self, req: UpstreamRequest, proxy: str) -> UpstreamResponse:
        try:
            client = self._socks.get(proxy)
            if client is None:
                client = self._socks[proxy] = _httpx_client(proxy, self._timeout_s)
            request = client.build_request(req.method, req.url, headers=req.headers, content=req.body)
            resp = await client.send(request, stream=True)
        except (httpx.HTTPError, ValueError, ImportError) as exc:  # ValueError: a scheme httpx lacks
            raise UpstreamTransportError(type(exc).__name__) from exc
        return _HttpxResponse(resp)

    async def aclose(self) -> None:
        clients, self._socks = list(self._socks.values()), {}
        await asyncio.gather(self._session.close(), *(c.aclose() for c in clients), return_exceptions=True)

    def abandon(self) -> None:
        """Drop the sockets without awaiting: the loop that owned them is gone (a reset)."""
        connector = self._session.connector
        if connector is not None:
            with contextlib.suppress(Exception):
                # The synchronous half of `close()`: the transports go now; there is no loop to
                # await the rest on. Marks the session closed, so it is not reported as leaked.
                connector._close()
        self._socks = {}


# -- the process-wide instance ---------------------------------------------------------------------

_factory: Callable[[], UpstreamClient] = AiohttpUpstream
_client: UpstreamClient | None = None
_client_loop: asyncio.AbstractEventLoop | None = None


def set_client_factory(factory: Callable[[], UpstreamClient]) -> None:
    """Use another implementation from the next start-up on."""
    global _factory
    _factory = factory


def _make() -> UpstreamClient:
    global _client, _client_loop
    _client, _client_loop = _factory(), asyncio.get_running_loop()
    return _client


def get_client() -> UpstreamClient:
    """The started client; made on first use when the app runs without its lifespan (tests), and
    again if the loop changed, because pooled connections belong to the loop that opened them."""
    if _client is None or _client_loop is not asyncio.get_running_loop():
        _drop()
        return _make()
    return _client


def _drop() -> None:
    global _client
    client, _client = _client, None
    if isinstance(client, AiohttpUpstream):
        client.abandon()


@lifecycle.on_startup
async def _start() -> None:
    get_client()


@lifecycle.on_shutdown
async def _stop() -> None:
    global _client
    client, _client = _client, None
    if client is not None:
        await client.aclose()


@lifecycle.on_reset
def _reset() -> None:
    _drop()
