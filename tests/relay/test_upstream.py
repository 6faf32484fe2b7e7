"""The aiohttp upstream client: connections reused after a finished stream, closed after an
abandoned one, URLs sent as built, SOCKS proxies through httpx."""

from __future__ import annotations

import asyncio

import pytest

from backend.relay import upstream as upstream_module
from backend.relay.adaptors.base import UpstreamRequest
from backend.relay.upstream import AiohttpUpstream, UpstreamTransportError

EVENTS = b'data: {"x":1}\n\ndata: [DONE]\n\n'


class ChunkedSSE:
    """A raw HTTP/1.1 server: counts connections, records request paths, and sends the chunked
    terminator a moment after `[DONE]`, as real upstreams may."""

    def __init__(self, terminator_delay: float = 0.005) -> None:
        self.connections = 0
        self.paths: list[str] = []
        self.delay = terminator_delay
        self.server: asyncio.Server | None = None

    async def __aenter__(self) -> ChunkedSSE:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self.server is not None
        self.server.close()

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.sockets[0].getsockname()[1]}"

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                self.paths.append(head.split(b" ", 2)[1].decode())
                length = next((int(line.split(b":")[1]) for line in head.split(b"\r\n")
                               if line.lower().startswith(b"content-length:")), 0)
                await reader.readexactly(length)
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
                             b"Transfer-Encoding: chunked\r\n\r\n"
                             + f"{len(EVENTS):x}\r\n".encode() + EVENTS + b"\r\n")
                await writer.drain()
                await asyncio.sleep(self.delay)
                writer.write(b"0\r\n\r\n")
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


def _req(url: str, proxy: str = "") -> UpstreamRequest:
    return UpstreamRequest(method="POST", url=url, headers={"Content-Type": "application/json"},
                           body=b"{}", stream=True, proxy=proxy)


async def _read_to_done(client: AiohttpUpstream, url: str):
    resp = await client.send(_req(url))
    seen = b""
    async for chunk in resp.aiter_bytes():
        seen += chunk
        if b"[DONE]" in seen:
            break
    return resp


async def test_a_finished_stream_gives_its_connection_back(monkeypatch) -> None:
    # The subject is that a terminator that does arrive is read and the connection kept; the 20 ms
    # budget is for production, and a loaded test machine can stall a process longer than that.
    monkeypatch.setattr(upstream_module, "DRAIN_SECONDS", 5.0)
    async with ChunkedSSE() as upstream:
        client = AiohttpUpstream()
        try:
            for _ in range(3):
                resp = await _read_to_done(client, upstream.url + "/v1/chat/completions")
                await resp.finish()
        finally:
            await client.aclose()
    assert upstream.connections == 1
    assert len(upstream.paths) == 3


async def test_an_abandoned_stream_closes_its_connection() -> None:
    async with ChunkedSSE(terminator_delay=0.5) as upstream:
        client = AiohttpUpstream()
        try:
            for _ in range(2):
                resp = await _read_to_done(client, upstream.url + "/v1/chat/completions")
                await resp.aclose()  # the client went away: the upstream must be cut off
        finally:
            await client.aclose()
    assert upstream.connections == 2


async def test_urls_are_sent_as_built() -> None:
    async with ChunkedSSE() as upstream:
        client = AiohttpUpstream()
        try:
            resp = await client.send(_req(upstream.url + "/model/anthropic.claude%3A0/invoke?a=%2F"))
            await resp.aread()
            await resp.aclose()
            resp = await client.send(_req(upstream.url + "/with space"))
            await resp.aread()
            await resp.aclose()
        finally:
            await client.aclose()
    assert upstream.paths == ["/model/anthropic.claude%3A0/invoke?a=%2F", "/with%20space"]


@pytest.mark.parametrize("proxy", ["socks5://127.0.0.1:9", "ftp://127.0.0.1:9"])
async def test_non_http_proxies_fail_as_transport_errors(proxy: str) -> None:
    # socks5 goes through httpx (socksio installed): nothing listens on port 9, so the connect fails.
    client = AiohttpUpstream()
    try:
        with pytest.raises(UpstreamTransportError) as info:
            await client.send(_req("http://127.0.0.1:9/v1/chat/completions", proxy=proxy))
    finally:
        await client.aclose()
    assert info.value.args[0] != "ImportError"
