"""`safe_fetch.fetch` against a local server: connect-time address pinning (DNS rebinding),
redirect checks, the size cap and the timeout. Made-up names resolve through the `dns` table only,
so reaching the server by name proves the connection used the checked answer."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator

import pytest
from aiohttp import web

from backend.services import safe_fetch, ssrf
from backend.services.safe_fetch import FetchFailed
from backend.services.ssrf import BlockedURL, FetchPolicy

PUBLIC = "93.184.216.34"
# The server listens on loopback, so reaching it needs allow_private_ip; any port.
LOCAL = FetchPolicy(allow_private_ip=True, allowed_ports=())


@pytest.fixture
def dns(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[list[str]]]:
    """name -> successive answers (the last one repeats): a rebinding server changes its answer."""
    table: dict[str, list[list[str]]] = {}
    asked: list[str] = []

    async def lookup(host: str, port: int, family: int) -> list[tuple]:
        asked.append(host)
        answers = table.get(host)
        if not answers:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        current = answers.pop(0) if len(answers) > 1 else answers[0]
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port)) for a in current]

    monkeypatch.setattr(ssrf, "_getaddrinfo", lookup)
    table["__asked__"] = asked  # type: ignore[assignment]
    return table


@pytest.fixture
async def server() -> AsyncIterator[tuple[int, asyncio.Event]]:
    release = asyncio.Event()

    async def hello(request: web.Request) -> web.Response:
        return web.Response(text=f"hello {request.host}")

    async def big(_request: web.Request) -> web.Response:
        return web.Response(body=b"x" * 5000)

    async def chunked(request: web.Request) -> web.StreamResponse:
        resp = web.StreamResponse()
        await resp.prepare(request)
        for _ in range(10):
            await resp.write(b"y" * 1000)
        await resp.write_eof()
        return resp

    async def stall(_request: web.Request) -> web.Response:
        await release.wait()
        return web.Response(text="late")

    async def redirect(request: web.Request) -> web.Response:
        raise web.HTTPFound(request.query["to"])

    async def echo(request: web.Request) -> web.Response:
        return web.Response(text=f"{request.method} {await request.text()}")

    app = web.Application()
    app.add_routes([web.get("/hello", hello), web.get("/big", big), web.get("/chunked", chunked),
                    web.get("/stall", stall), web.route("*", "/redirect", redirect), web.route("*", "/echo", echo)])
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # noqa: SLF001 - the port the OS picked
    yield port, release
    release.set()
    await runner.cleanup()


async def test_a_name_is_fetched_at_the_address_the_check_approved(dns, server) -> None:
    port, _ = server
    dns["api.test"] = [["127.0.0.1"]]
    got = await safe_fetch.fetch(f"http://api.test:{port}/hello", policy=LOCAL)
    assert (got.status, got.body) == (200, f"hello api.test:{port}".encode())


async def test_dns_rebinding_cannot_swap_the_address(dns, server) -> None:
    port, _ = server
    # first answer public (what a pre-check sees), then loopback (what a second lookup would get)
    dns["rebind.test"] = [[PUBLIC], ["127.0.0.1"]]
    policy = FetchPolicy(allowed_ports=())
    await ssrf.check_url_resolved(f"http://rebind.test:{port}/hello", policy)  # passes: public
    with pytest.raises(BlockedURL, match="resolves to 127.0.0.1"):
        await safe_fetch.fetch(f"http://rebind.test:{port}/hello", policy=policy)


async def test_private_targets_are_refused_by_default(sqlite_storage, dns, server) -> None:
    port, _ = server
    dns["inner.test"] = [["127.0.0.1"]]
    policy = FetchPolicy(allowed_ports=())
    for url in (f"http://127.0.0.1:{port}/hello", f"http://inner.test:{port}/hello", f"http://127.1:{port}/hello"):
        with pytest.raises(BlockedURL, match="private"):
            await safe_fetch.fetch(url, policy=policy)
    with pytest.raises(BlockedURL, match=f"port {port}"):
        await safe_fetch.fetch(f"http://inner.test:{port}/hello")  # the default port list
    assert "inner.test" in dns["__asked__"]  # refused after resolving, not for lack of a name


async def test_every_redirect_hop_is_checked(dns, server) -> None:
    port, _ = server
    dns["api.test"] = [["127.0.0.1"]]
    dns["blocked.test"] = [["127.0.0.1"]]
    policy = FetchPolicy(allow_private_ip=True, allowed_ports=(), domain_list=("blocked.test",))
    base = f"http://api.test:{port}/redirect?to="
    followed = await safe_fetch.fetch(base + f"http://api.test:{port}/hello", policy=policy)
    assert followed.body.startswith(b"hello") and followed.url.endswith("/hello")
    with pytest.raises(BlockedURL, match="blacklist"):
        await safe_fetch.fetch(base + f"http://blocked.test:{port}/hello", policy=policy)
    with pytest.raises(BlockedURL, match="scheme"):
        await safe_fetch.fetch(base + "file:///etc/passwd", policy=policy)
    metadata = FetchPolicy(allow_private_ip=True, allowed_ports=(), ip_list=("169.254.0.0/16",))
    with pytest.raises(BlockedURL, match="169.254.169.254, which is in the IP blacklist"):
        await safe_fetch.fetch(base + "http://169.254.169.254/latest/meta-data/", policy=metadata)
    with pytest.raises(FetchFailed, match="redirects"):
        await safe_fetch.fetch(base + base + f"http://api.test:{port}/hello", policy=policy, max_redirects=1)


async def test_size_cap_and_timeout(dns, server) -> None:
    port, release = server
    dns["api.test"] = [["127.0.0.1"]]
    root = f"http://api.test:{port}"
    assert len((await safe_fetch.fetch(root + "/big", policy=LOCAL, max_bytes=5000)).body) == 5000
    with pytest.raises(FetchFailed, match="larger than 4999 bytes"):
        await safe_fetch.fetch(root + "/big", policy=LOCAL, max_bytes=4999)  # announced length
    with pytest.raises(FetchFailed, match="larger than 2500 bytes"):
        await safe_fetch.fetch(root + "/chunked", policy=LOCAL, max_bytes=2500)  # counted while reading
    with pytest.raises(FetchFailed, match="timed out"):
        await safe_fetch.fetch(root + "/stall", policy=LOCAL, timeout=0.2)
    release.set()


async def test_post_json(dns, server) -> None:
    port, _ = server
    dns["hook.test"] = [["127.0.0.1"]]
    got = await safe_fetch.post_json(f"http://hook.test:{port}/echo", {"type": "quota"}, policy=LOCAL)
    assert got.body == b'POST {"type":"quota"}'


async def test_unreachable_is_a_fetch_failure(dns) -> None:
    dns["down.test"] = [["127.0.0.1"]]
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(FetchFailed, match="could not fetch"):
        await safe_fetch.fetch(f"http://down.test:{port}/", policy=LOCAL)
