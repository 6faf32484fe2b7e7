"""Load generator, run in its own process so its CPU is not the gateway's: aiohttp + asyncio.

    python -m bench.loadgen '<json spec>'   ->  one JSON result object on stdout

Spec keys: url, body (JSON object), headers, concurrency, and either `requests` (a fixed count,
shared by all workers) or `duration` (seconds); `stream` reads the reply as SSE up to `[DONE]`;
`warmup` requests are sent first and not counted. Every reply is checked: a non-200 status, a
body without `choices`, or a stream without `[DONE]` counts as an error.
"""

from __future__ import annotations

import asyncio
import resource
import sys
import time

import aiohttp
import orjson


def _percentile(sorted_values: list[float], q: float) -> float:
    if not sorted_values:
        return float("nan")
    idx = min(len(sorted_values) - 1, max(0, round(q * (len(sorted_values) - 1))))
    return sorted_values[idx]


class _Run:
    def __init__(self, spec: dict) -> None:
        self.url: str = spec["url"]
        self.body: bytes = orjson.dumps(spec["body"])
        self.headers = {"Content-Type": "application/json", **spec.get("headers", {})}
        self.concurrency: int = int(spec.get("concurrency", 1))
        self.requests: int | None = spec.get("requests")
        self.duration: float | None = spec.get("duration")
        self.stream: bool = bool(spec.get("stream"))
        self.latencies_ms: list[float] = []
        self.ttfb_ms: list[float] = []
        self.errors = 0
        self.warmup_ok = 0  # unrecorded calls that succeeded: the harness checks one log per success
        self.error_samples: list[str] = []
        self._issued = 0
        self._deadline = 0.0

    def _take(self) -> bool:
        if self.requests is not None:
            if self._issued >= self.requests:
                return False
            self._issued += 1
            return True
        return time.perf_counter() < self._deadline

    def _fail(self, why: str) -> None:
        self.errors += 1
        if len(self.error_samples) < 5:
            self.error_samples.append(why[:300])

    async def _one(self, session: aiohttp.ClientSession, record: bool) -> None:
        t0 = time.perf_counter()
        try:
            async with session.post(self.url, data=self.body, headers=self.headers) as resp:
                if self.stream:
                    first = True
                    tail = b""
                    async for chunk in resp.content.iter_any():
                        if first:
                            first = False
                            if record:
                                self.ttfb_ms.append((time.perf_counter() - t0) * 1000)
                        tail = (tail + chunk)[-64:]
                    ok = resp.status == 200 and b"data: [DONE]" in tail
                    detail = tail.decode(errors="replace")
                else:
                    data = await resp.read()
                    ok = resp.status == 200 and b'"choices"' in data
                    detail = data.decode(errors="replace")
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:
            if record:
                self._fail(f"{type(exc).__name__}: {exc}")
            return
        if not record:
            self.warmup_ok += ok
            return
        if ok:
            self.latencies_ms.append((time.perf_counter() - t0) * 1000)
        else:
            self._fail(f"HTTP {resp.status}: {detail}")

    async def _worker(self, session: aiohttp.ClientSession) -> None:
        while self._take():
            await self._one(session, record=True)

    async def run(self, warmup: int) -> dict:
        connector = aiohttp.TCPConnector(limit=0, ttl_dns_cache=None, force_close=False)
        timeout = aiohttp.ClientTimeout(total=120)
        async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
            for _ in range(warmup):
                await self._one(session, record=False)
            # open the connections before the clock starts, as a long-running client would have them
            await asyncio.gather(
                *(self._one(session, record=False) for _ in range(min(self.concurrency, 256)))
            )
            cpu0 = resource.getrusage(resource.RUSAGE_SELF)
            start = time.perf_counter()
            self._deadline = start + (self.duration or 0)
            await asyncio.gather(*(self._worker(session) for _ in range(self.concurrency)))
            elapsed = time.perf_counter() - start
            cpu1 = resource.getrusage(resource.RUSAGE_SELF)
        lat = sorted(self.latencies_ms)
        done = len(lat)
        cpu_s = (cpu1.ru_utime - cpu0.ru_utime) + (cpu1.ru_stime - cpu0.ru_stime)
        result = {
            "concurrency": self.concurrency,
            "stream": self.stream,
            "ok": done,
            "errors": self.errors,
            "warmup_ok": self.warmup_ok,
            "error_samples": self.error_samples,
            "elapsed_s": elapsed,
            "rps": done / elapsed if elapsed > 0 else 0.0,
            "p50_ms": _percentile(lat, 0.50),
            "p90_ms": _percentile(lat, 0.90),
            "p99_ms": _percentile(lat, 0.99),
            "max_ms": lat[-1] if lat else float("nan"),
            "mean_ms": sum(lat) / done if done else float("nan"),
            "loadgen_cpu_ms_per_req": cpu_s * 1000 / max(1, done + self.errors),
        }
        if self.ttfb_ms:
            ttfb = sorted(self.ttfb_ms)
            result["ttfb_p50_ms"] = _percentile(ttfb, 0.50)
            result["ttfb_p99_ms"] = _percentile(ttfb, 0.99)
        return result


def main(argv: list[str]) -> None:
    spec = orjson.loads(argv[0])
    result = asyncio.run(_Run(spec).run(int(spec.get("warmup", 0))))
    sys.stdout.write(orjson.dumps(result).decode() + "\n")


if __name__ == "__main__":
    main(sys.argv[1:])
