"""httpx.AsyncClient vs aiohttp.ClientSession on the relay's upstream path, side by side.

    .venv/bin/python -m bench.upstream_clients        (writes bench/results/upstream_clients.json)

The path is what `backend/relay/upstream.py` does per call: POST a prebuilt JSON body to the
upstream with a pooled client and either read the whole reply and parse it with orjson, or read
an SSE stream and run every chunk through the relay's own `SSEParser` and parse each event. The
mock upstream runs in its own process; both clients run in this one, one after the other, on the
same asyncio loop, so the CPU-ms per request figure is the client's own cost.
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import aiohttp
import httpx
import httpx2
import orjson

from backend.relay.sse import SSEParser
from bench import procs

RESULTS = Path(__file__).resolve().parent / "results"
BODY = orjson.dumps({"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Say hello"}]})
STREAM_BODY = orjson.dumps(
    {
        "model": "gpt-4o-mini",
        "messages": [{"role": "user", "content": "Say hello"}],
        "stream": True,
        "stream_options": {"include_usage": True},
    }
)
HEADERS = {"Content-Type": "application/json", "Authorization": "Bearer sk-mock"}

Call = Callable[[], Awaitable[None]]


def _consume_events(parser: SSEParser, chunk: bytes) -> int:
    n = 0
    for event in parser.feed(chunk):
        orjson.loads(event.data)
        n += 1
    return n


def httpx_calls(client: httpx.AsyncClient | httpx2.AsyncClient, url: str) -> tuple[Call, Call]:
    """As `HttpxUpstream.send` does it: build_request + send(stream=True), then aread or aiter_raw."""

    async def json_call() -> None:
        resp = await client.send(
            client.build_request("POST", url, headers=HEADERS, content=BODY), stream=True
        )
        try:
            if resp.status_code != 200:
                raise RuntimeError(f"HTTP {resp.status_code}")
            orjson.loads(await resp.aread())
        finally:
            await resp.aclose()

    async def sse_call() -> None:
        resp = await client.send(
            client.build_request("POST", url, headers=HEADERS, content=STREAM_BODY), stream=True
        )
        try:
            if resp.status_code != 200:
                raise RuntimeError(f"HTTP {resp.status_code}")
            parser = SSEParser()
            events = 0
            async for chunk in resp.aiter_raw():
                events += _consume_events(parser, chunk)
                if parser.done:
                    break
            if not parser.done or not events:
                raise RuntimeError("stream ended without [DONE]")
        finally:
            await resp.aclose()

    return json_call, sse_call


def aiohttp_calls(session: aiohttp.ClientSession, url: str) -> tuple[Call, Call]:
    """The same with aiohttp: request() returns once headers are in; read() or content.iter_any()."""

    async def json_call() -> None:
        resp = await session.request("POST", url, data=BODY, headers=HEADERS)
        try:
            if resp.status != 200:
                raise RuntimeError(f"HTTP {resp.status}")
            orjson.loads(await resp.read())
        finally:
            resp.release()

    async def sse_call() -> None:
        resp = await session.request("POST", url, data=STREAM_BODY, headers=HEADERS)
        try:
            if resp.status != 200:
                raise RuntimeError(f"HTTP {resp.status}")
            parser = SSEParser()
            events = 0
            async for chunk in resp.content.iter_any():
                events += _consume_events(parser, chunk)
                if parser.done:
                    break
            if not parser.done or not events:
                raise RuntimeError("stream ended without [DONE]")
        finally:
            resp.release()

    return json_call, sse_call


async def measure(call: Call, concurrency: int, requests: int) -> dict:
    """`requests` calls spread over `concurrency` tasks: throughput, latency, client CPU per call."""
    for _ in range(min(200, requests)):  # warm the pool and the code paths
        await call()
    latencies: list[float] = []
    remaining = requests

    async def worker() -> None:
        nonlocal remaining
        while remaining > 0:
            remaining -= 1
            t0 = time.perf_counter()
            await call()
            latencies.append((time.perf_counter() - t0) * 1000)

    ru0 = resource.getrusage(resource.RUSAGE_SELF)
    t0 = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    elapsed = time.perf_counter() - t0
    ru1 = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (ru1.ru_utime - ru0.ru_utime) + (ru1.ru_stime - ru0.ru_stime)
    latencies.sort()
    return {
        "requests": len(latencies),
        "rps": len(latencies) / elapsed,
        "p50_ms": latencies[len(latencies) // 2],
        "p99_ms": latencies[int(len(latencies) * 0.99) - 1],
        "cpu_ms_per_req": cpu * 1000 / len(latencies),
    }


CLIENTS = ("httpx", "httpx2", "aiohttp")


async def compare(port: int, requests_c1: int, requests_c64: int) -> list[dict]:
    url = f"http://127.0.0.1:{port}/v1/chat/completions"
    rows: list[dict] = []
    # Configured as backend/relay/upstream.py configures its httpx client (unbounded pool, 500 idle,
    # 90 s keep-alive, no env proxies, no transparent decompression); aiohttp the equivalent.
    httpx_client = httpx.AsyncClient(
        limits=httpx.Limits(max_connections=None, max_keepalive_connections=500, keepalive_expiry=90.0),
        timeout=httpx.Timeout(None),
        follow_redirects=False,
        trust_env=False,
        headers={"Accept-Encoding": "identity"},
    )
    # httpx2 is pydantic's continuation of httpx, already installed as a dependency of the openai SDK
    httpx2_client = httpx2.AsyncClient(
        limits=httpx2.Limits(max_connections=None, max_keepalive_connections=500, keepalive_expiry=90.0),
        timeout=httpx2.Timeout(None),
        follow_redirects=False,
        trust_env=False,
        headers={"Accept-Encoding": "identity"},
    )
    aiohttp_session = aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=0, limit_per_host=0, keepalive_timeout=90.0, ttl_dns_cache=300),
        timeout=aiohttp.ClientTimeout(total=None),
        auto_decompress=False,
        trust_env=False,
        headers={"Accept-Encoding": "identity"},
    )
    try:
        clients = {
            "httpx": httpx_calls(httpx_client, url),
            "httpx2": httpx_calls(httpx2_client, url),
            "aiohttp": aiohttp_calls(aiohttp_session, url),
        }
        for kind, idx in (("json", 0), ("sse", 1)):
            for concurrency, n in ((1, requests_c1), (64, requests_c64)):
                row: dict = {"path": kind, "concurrency": concurrency}
                # Alternate the order per case so no client always runs on a warmer machine.
                order = CLIENTS if concurrency == 1 else tuple(reversed(CLIENTS))
                for name in order:
                    row[name] = await measure(clients[name][idx], concurrency, n)
                h, a = row["httpx"], row["aiohttp"]
                row["rps_ratio_aiohttp_over_httpx"] = a["rps"] / h["rps"]
                row["cpu_ratio_httpx_over_aiohttp"] = h["cpu_ms_per_req"] / a["cpu_ms_per_req"]
                row["p50_ratio_httpx_over_aiohttp"] = h["p50_ms"] / a["p50_ms"]
                row["rps_ratio_httpx2_over_httpx"] = row["httpx2"]["rps"] / h["rps"]
                rows.append(row)
    finally:
        await httpx_client.aclose()
        await httpx2_client.aclose()
        await aiohttp_session.close()
    return rows


def print_table(rows: list[dict]) -> None:
    head = (
        f"{'path':5} {'conc':>4} | {'client':8} {'req/s':>8} {'p50 ms':>7} {'p99 ms':>7} {'CPU ms/req':>10}"
    )
    print(head)
    print("-" * len(head))
    for row in rows:
        for name in CLIENTS:
            r = row[name]
            print(
                f"{row['path']:5} {row['concurrency']:>4} | {name:8} {r['rps']:>8.0f} {r['p50_ms']:>7.3f} "
                f"{r['p99_ms']:>7.3f} {r['cpu_ms_per_req']:>10.3f}"
            )
        print(
            f"{'':5} {'':>4} | aiohttp/httpx req/s x{row['rps_ratio_aiohttp_over_httpx']:.2f}, "
            f"httpx/aiohttp CPU x{row['cpu_ratio_httpx_over_aiohttp']:.2f}, "
            f"httpx2/httpx req/s x{row['rps_ratio_httpx2_over_httpx']:.2f}"
        )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests-c1", type=int, default=2000)
    parser.add_argument("--requests-c64", type=int, default=5000)
    parser.add_argument("--out", type=Path, default=RESULTS / "upstream_clients.json")
    args = parser.parse_args(argv)
    mock, port = procs.start_mock()
    try:
        rows = asyncio.run(compare(port, args.requests_c1, args.requests_c64))
    finally:
        procs.stop(mock)
    print_table(rows)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_bytes(
        orjson.dumps(
            {
                "machine": procs.machine(),
                "versions": {
                    "httpx": httpx.__version__,
                    "httpx2": httpx2.__version__,
                    "aiohttp": aiohttp.__version__,
                },
                "rows": rows,
                "finished_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            },
            option=orjson.OPT_INDENT_2,
        )
    )


if __name__ == "__main__":
    sys.exit(main())
