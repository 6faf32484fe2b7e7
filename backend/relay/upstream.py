"""The one pooled HTTP client the relay talks to upstreams with.

Kept behind `UpstreamClient` so another implementation (e.g. aiohttp, for the benchmark) can be
swapped in with `set_client_factory`. The client is made at start-up and closed at shutdown;
channels with a `setting.proxy` get a pooled client of their own per proxy URL.
"""

from __future__ import annotations

import abc
import asyncio
from collections.abc import AsyncIterator, Callable, Mapping

import httpx

from backend import lifecycle
from backend.config import get_settings
from backend.relay.adaptors.base import UpstreamRequest


class UpstreamTransportError(Exception):
    """The upstream could not be reached or dropped the connection (the channel's fault)."""


class UpstreamResponse(abc.ABC):
    """Status and headers have arrived; the body is read by the caller, then `aclose()`."""

    status_code: int
    headers: Mapping[str, str]  # case-insensitive

    @abc.abstractmethod
    async def aread(self) -> bytes: ...

    @abc.abstractmethod
    def aiter_bytes(self) -> AsyncIterator[bytes]: ...

    @abc.abstractmethod
    async def aclose(self) -> None: ...


class UpstreamClient(abc.ABC):
    @abc.abstractmethod
    async def send(self, req: UpstreamRequest) -> UpstreamResponse:
        """Send and return once the status line and headers are in; UpstreamTransportError otherwise."""

    @abc.abstractmethod
    async def aclose(self) -> None: ...


# -- httpx -----------------------------------------------------------------------------------------


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

    async def aiter_bytes(self) -> AsyncIterator[bytes]:
        try:
            async for chunk in self._resp.aiter_bytes():  # decoded, should an upstream compress anyway
                yield chunk
        except httpx.HTTPError as exc:
            raise UpstreamTransportError(type(exc).__name__) from exc

    async def aclose(self) -> None:
        await self._resp.aclose()


class HttpxUpstream(UpstreamClient):
    """httpx with keep-alive pooling. RELAY_TIMEOUT (0 = none) bounds connect and each read;
    stream idleness is the streaming loop's business (STREAMING_TIMEOUT)."""

    def __init__(self) -> None:
        s = get_settings()
        timeout = s.RELAY_TIMEOUT if s.RELAY_TIMEOUT > 0 else None
        self._timeout = httpx.Timeout(timeout)
        # httpx has no per-host idle cap; the total idle cap is the closer knob.
        self._limits = httpx.Limits(
            max_connections=None,
            max_keepalive_connections=max(s.RELAY_MAX_IDLE_CONNS, 1),
            keepalive_expiry=90.0,
        )
        self._default = self._make(None)
        self._proxied: dict[str, httpx.AsyncClient] = {}

    def _make(self, proxy: str | None) -> httpx.AsyncClient:
        # Upstream replies are relayed byte for byte: no transparent decompression, no redirects.
        return httpx.AsyncClient(
            timeout=self._timeout,
            limits=self._limits,
            proxy=proxy,
            follow_redirects=False,
            trust_env=False,
            headers={"Accept-Encoding": "identity"},
        )

    def _client(self, proxy: str | None) -> httpx.AsyncClient:
        if not proxy:
            return self._default
        client = self._proxied.get(proxy)
        if client is None:
            client = self._proxied[proxy] = self._make(proxy)
        return client

    async def send(self, req: UpstreamRequest) -> UpstreamResponse:
        try:
            client = self._client(req.proxy)
            request = client.build_request(req.method, req.url, headers=req.headers, content=req.body)
            resp = await client.send(request, stream=True)
        except (httpx.HTTPError, ValueError, ImportError) as exc:  # ImportError: socks support missing
            raise UpstreamTransportError(type(exc).__name__) from exc
        return _HttpxResponse(resp)

    async def aclose(self) -> None:
        clients = [self._default, *self._proxied.values()]
        self._proxied.clear()
        await asyncio.gather(*(c.aclose() for c in clients), return_exceptions=True)


# -- the process-wide instance ---------------------------------------------------------------------

_factory: Callable[[], UpstreamClient] = HttpxUpstream
_client: UpstreamClient | None = None


def set_client_factory(factory: Callable[[], UpstreamClient]) -> None:
    """Use another implementation from the next start-up on."""
    global _factory
    _factory = factory


def get_client() -> UpstreamClient:
    """The started client; made on first use when the app runs without its lifespan (tests)."""
    global _client
    if _client is None:
        _client = _factory()
    return _client


@lifecycle.on_startup
async def _start() -> None:
    global _client
    if _client is None:
        _client = _factory()


@lifecycle.on_shutdown
async def _stop() -> None:
    global _client
    client, _client = _client, None
    if client is not None:
        await client.aclose()


@lifecycle.on_reset
def _reset() -> None:
    # A client is bound to the event loop that opened its connections; a reset means a new loop.
    global _client
    _client = None
