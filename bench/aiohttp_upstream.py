"""An aiohttp implementation of the relay's `UpstreamClient`, for an A/B run of the gateway.

`backend/relay/upstream.py` ships httpx and lets another client be swapped in with
`set_client_factory`; `bench/gateway_app.py` does that with this class, so
`python -m bench.run --upstream aiohttp` measures the same gateway with only the upstream client
changed. It mirrors `HttpxUpstream`: one pooled session per proxy URL, no transparent
decompression, no redirects, no proxies from the environment, RELAY_TIMEOUT (0 = none) on
connect and on each read, transport failures raised as `UpstreamTransportError`.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import aiohttp

from backend.config import get_settings
from backend.relay.adaptors.base import UpstreamRequest
from backend.relay.upstream import UpstreamClient, UpstreamResponse, UpstreamTransportError

_TRANSPORT_ERRORS = (aiohttp.ClientError, TimeoutError, OSError)
DRAIN_SECONDS = 0.02
DRAIN_BYTES = 64 * 1024


class _AiohttpResponse(UpstreamResponse):
    __slots__ = ("_resp", "headers", "status_code")

    def __init__(self, resp: aiohttp.ClientResponse) -> None:
        self._resp = resp
        self.status_code = resp.status
        self.headers = resp.headers  # CIMultiDictProxy: case-insensitive, like httpx.Headers

    async def aread(self) -> bytes:
        try:
            return await self._resp.read()
        except _TRANSPORT_ERRORS as exc:
            raise UpstreamTransportError(type(exc).__name__) from exc

    async def aiter_bytes(self) -> AsyncIterator[bytes]:
        try:
            async for chunk in self._resp.content.iter_any():
                yield chunk
        except _TRANSPORT_ERRORS as exc:
            raise UpstreamTransportError(type(exc).__name__) from exc

    async def aclose(self) -> None:
        # The relay stops reading a stream at `data: [DONE]`, when usually only the chunked
        # terminator is left: read that (briefly, bounded) so the connection goes back to the pool
        # instead of being closed, which would cost every stream a new upstream connection.
        # A body abandoned half-way (client gone, error) must not be reused, so it is closed.
        resp = self._resp
        if not resp.content.is_eof():
            try:
                async with asyncio.timeout(DRAIN_SECONDS):
                    left = DRAIN_BYTES
                    while left > 0 and not resp.content.is_eof():
                        chunk = await resp.content.readany()
                        if not chunk:
                            break
                        left -= len(chunk)
            except _TRANSPORT_ERRORS:
                pass
        if resp.content.is_eof():
            resp.release()
        else:
            resp.close()


class AiohttpUpstream(UpstreamClient):
    """Made inside the running loop (the gateway's start-up hook), as aiohttp requires."""

    def __init__(self) -> None:
        s = get_settings()
        timeout = s.RELAY_TIMEOUT if s.RELAY_TIMEOUT > 0 else None
        self._timeout = aiohttp.ClientTimeout(total=None, sock_connect=timeout, sock_read=timeout)
        self._session = self._make()

    def _make(self) -> aiohttp.ClientSession:
        connector = aiohttp.TCPConnector(
            limit=0,  # no cap on open connections, like httpx max_connections=None
            limit_per_host=0,
            keepalive_timeout=90.0,
            ttl_dns_cache=300,
        )
        return aiohttp.ClientSession(
            connector=connector,
            timeout=self._timeout,
            auto_decompress=False,  # replies are relayed byte for byte
            trust_env=False,
            skip_auto_headers=("User-Agent",),
            headers={"Accept-Encoding": "identity"},
        )

    async def send(self, req: UpstreamRequest) -> UpstreamResponse:
        if req.proxy and not req.proxy.startswith(("http://", "https://")):
            # aiohttp speaks HTTP proxies only; SOCKS needs the aiohttp-socks connector
            raise UpstreamTransportError(f"unsupported proxy scheme in {req.proxy.split('://', 1)[0]}://")
        try:
            resp = await self._session.request(
                req.method,
                req.url,
                headers=req.headers,
                data=req.body,
                proxy=req.proxy or None,
                allow_redirects=False,
            )
        except (*_TRANSPORT_ERRORS, ValueError) as exc:
            raise UpstreamTransportError(type(exc).__name__) from exc
        return _AiohttpResponse(resp)

    async def aclose(self) -> None:
        await self._session.close()
