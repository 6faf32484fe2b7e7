"""`make bench`: the gateway's overhead against a zero-latency upstream, next to calling it directly.

    .venv/bin/python -m bench.run [--quick] [--profile] [--no-reflex]

Steps, each bounded by a request count or a duration (the whole run takes ~2 minutes):
1. start the mock upstream (`bench/mock_upstream.py`) in its own process;
2. start a gateway (`newapi serve`) on a SQLite file in a temp dir and seed it through its
   management API (setup, login, channel pointing at the mock, token), then stop it, so every
   measured gateway boots with the channel already in its caches;
3. run the same phases against the mock directly, through the gateway with 1 and 2 workers, and
   through the Reflex console app as `make run` serves it (the prebuilt `.web`, one port, one
   granian worker; skipped with a notice when `.web` was never built), each phase driven by
   `bench/loadgen.py` in a separate process:
   latency at concurrency 1, throughput at concurrency 64 (auth, billing and consume logs on),
   streamed latency at concurrency 1, and 1,000 concurrent streams;
4. read CPU time and RSS of the gateway's processes from /proc, count the consume logs the
   gateway wrote (every successful call must have one), print a table and write
   `bench/results/latest.json`.
Traffic goes to 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import httpx
import orjson

from bench import procs, profile_summary

RESULTS = Path(__file__).resolve().parent / "results"
MODEL = "gpt-4o-mini"
MESSAGES = [{"role": "user", "content": "Say hello"}]
CHAT_BODY = {"model": MODEL, "messages": MESSAGES}
STREAM_BODY = {**CHAT_BODY, "stream": True, "stream_options": {"include_usage": True}}
ROOT_USER, ROOT_PASS = "benchroot", "bench-pass-1234"
STREAM_CHUNK_DELAY_MS = 250  # 12 events -> each stream stays open >= 3 s, so the 1,000 overlap
TARGETS = {"added_p50_ms": 1.0, "added_p99_ms": 3.0, "rps_2_workers": 1500.0, "rss_mb_per_worker": 150.0}


@dataclass(frozen=True)
class Sizes:
    warmup: int
    latency_requests: int
    stream_latency_requests: int
    throughput_seconds: float
    streams: int


FULL = Sizes(
    warmup=300, latency_requests=2000, stream_latency_requests=500, throughput_seconds=8.0, streams=1000
)
QUICK = Sizes(
    warmup=100, latency_requests=300, stream_latency_requests=100, throughput_seconds=2.0, streams=200
)


class BenchError(RuntimeError):
    pass


# -- load generation --------------------------------------------------------------------------------


def loadgen(spec: dict[str, Any], timeout: float = 120.0) -> dict[str, Any]:
    """Run one phase in a separate process and return its JSON result."""
    proc = subprocess.run(
        [sys.executable, "-m", "bench.loadgen", orjson.dumps(spec).decode()],
        cwd=procs.ROOT,
        capture_output=True,
        timeout=timeout,
    )
    if proc.returncode != 0:
        raise BenchError(f"load generator failed: {proc.stderr.decode(errors='replace')[-2000:]}")
    return orjson.loads(proc.stdout)


def mock_config(mock_port: int, chunk_delay_ms: float) -> None:
    httpx.post(
        f"http://127.0.0.1:{mock_port}/_mock/config", json={"chunk_delay_ms": chunk_delay_ms}
    ).raise_for_status()


def mock_stats(mock_port: int) -> dict[str, Any]:
    return httpx.get(f"http://127.0.0.1:{mock_port}/_mock/stats").json()


def run_phases(
    url: str,
    headers: dict[str, str],
    sizes: Sizes,
    mock_port: int,
    server_pid: int | None,
    mock_pid: int,
    profile: tuple[int, Path] | None = None,
) -> dict[str, Any]:
    """The four phases against one target; with `server_pid`, also that server's CPU per request.
    With `profile` (worker pid, output base), py-spy samples that worker during the c=64 phase."""
    out: dict[str, Any] = {}

    def phase(name: str, spec: dict[str, Any], chunk_delay_ms: float = 0) -> None:
        mock_config(mock_port, chunk_delay_ms)  # also zeroes the mock's counters
        spy = start_profiler(*profile) if profile and name == "throughput_c64" else None
        mock_cpu0 = procs.tree_cpu_seconds(mock_pid)
        cpu0 = procs.tree_cpu_seconds(server_pid) if server_pid else 0.0
        try:
            result = loadgen({"url": url, "headers": headers, **spec})
        finally:
            if spy is not None:
                stop_profiler(spy)
        if spy is not None and profile:
            result["profile"] = profile_summary.summarize(profile[1].with_suffix(".folded"))
            result["profile"]["file"] = str(profile[1].with_suffix(".folded").relative_to(procs.ROOT))
        served = result["ok"] + result["errors"]
        if server_pid:
            result["server_cpu_ms_per_req"] = (
                (procs.tree_cpu_seconds(server_pid) - cpu0) * 1000 / max(1, served)
            )
        result["mock_cpu_ms_per_req"] = (procs.tree_cpu_seconds(mock_pid) - mock_cpu0) * 1000 / max(1, served)
        if server_pid:
            result["worker_rss_mb_after"] = [
                round(procs.memory(pid).rss_mb, 1) for pid in procs.worker_pids(server_pid)
            ]
        stats = mock_stats(mock_port)
        result["upstream_requests"] = stats["requests"]  # includes warm-up calls
        result["upstream_connections"] = stats["connections"]
        result["peak_open_upstream_streams"] = stats["peak_open_streams"]
        out[name] = result
        print(
            f"  {name:18} ok={result['ok']:<6} err={result['errors']:<4} {_num(result['rps'], '8.0f')} req/s  "
            f"p50 {_num(result['p50_ms'], '8.3f')} ms  p99 {_num(result['p99_ms'], '8.3f')} ms"
            + (f"  server CPU {result['server_cpu_ms_per_req']:.3f} ms/req" if server_pid else ""),
            flush=True,
        )
        for sample in result["error_samples"][:2]:
            print(f"    error: {sample}", flush=True)

    phase(
        "latency_c1",
        {"body": CHAT_BODY, "concurrency": 1, "requests": sizes.latency_requests, "warmup": sizes.warmup},
    )
    phase(
        "throughput_c64",
        {"body": CHAT_BODY, "concurrency": 64, "duration": sizes.throughput_seconds, "warmup": 50},
    )
    phase(
        "stream_latency_c1",
        {
            "body": STREAM_BODY,
            "stream": True,
            "concurrency": 1,
            "requests": sizes.stream_latency_requests,
            "warmup": 50,
        },
    )
    try:
        phase(
            "streams",
            {"body": STREAM_BODY, "stream": True, "concurrency": sizes.streams, "requests": sizes.streams},
            chunk_delay_ms=STREAM_CHUNK_DELAY_MS,
        )
    finally:
        mock_config(mock_port, 0)
    return out


# -- the gateway --------------------------------------------------------------------------------


def gateway_env(db_path: Path, session_secret: str) -> dict[str, str]:
    """SQLite in the temp dir, no Redis, new-api's defaults otherwise (batch updates, consume logs)."""
    return {
        "SQLITE_PATH": str(db_path),
        "SQL_DSN": "",
        "LOG_SQL_DSN": "",
        "REDIS_CONN_STRING": "",
        "NODE_TYPE": "master",
        "SESSION_SECRET": session_secret,
        "CRYPTO_SECRET": session_secret,
        "MEMORY_CACHE_ENABLED": "true",
        "BATCH_UPDATE_ENABLED": "true",
        "DEBUG": "false",
        "PYTHONUNBUFFERED": "1",
    }


@dataclass(frozen=True)
class Variant:
    """Which gateway runs: `newapi serve` as shipped, or `bench/gateway_app.py` with a knob changed."""

    upstream: str = "shipped"
    loop: str = "auto"
    task_impl: str = "asyncio"
    preload: bool = False
    fast_path: bool = False
    backpressure: int | None = None  # granian's cap on connections per worker (None: backlog/workers)

    @property
    def stock(self) -> bool:
        """`newapi serve` itself: nothing changed but what its own options can set."""
        return replace(self, backpressure=None) == Variant()

    @property
    def name(self) -> str:
        parts = [
            self.upstream if self.upstream != "shipped" else "",
            self.loop if self.loop != "auto" else "",
            self.task_impl if self.task_impl != "asyncio" else "",
            "preload" if self.preload else "",
            "fastpath" if self.fast_path else "",
        ]
        name = "-".join(p for p in parts if p) if not self.stock else "stock"
        return name + (f"-bp{self.backpressure}" if self.backpressure else "")


def start_gateway(
    workers: int, env: dict[str, str], log: Path, variant: Variant = Variant()
) -> tuple[subprocess.Popen, int]:
    port = procs.free_port()
    if not variant.stock:
        cmd = (
            [
                sys.executable,
                "-m",
                "bench.gateway_app",
                "--upstream",
                variant.upstream,
                "--loop",
                variant.loop,
                "--task-impl",
                variant.task_impl,
            ]
            + (["--preload"] if variant.preload else [])
            + (["--fast-path"] if variant.fast_path else [])
        )
        extra = os.environ.get("BENCH_EXTRA_PYTHONPATH")
        if extra:  # e.g. a --target dir holding uvloop, kept out of the project's venv
            env = {**env, "PYTHONPATH": os.pathsep.join(p for p in (extra, env.get("PYTHONPATH", "")) if p)}
    else:
        newapi = procs.ROOT / ".venv" / "bin" / "newapi"
        cmd = [str(newapi), "serve"] if newapi.exists() else [sys.executable, "-m", "backend.cli", "serve"]
    if variant.backpressure:
        cmd += ["--backpressure", str(variant.backpressure)]
    proc = procs.spawn(
        [*cmd, "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)], env=env, log=log
    )
    procs.wait_port(port, proc, timeout=60)
    deadline = time.monotonic() + 30
    while True:  # listening is not ready: wait until every worker answers
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/status", timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            raise BenchError(f"gateway did not answer /api/status; see {log}")
        time.sleep(0.1)
    while len(procs.children(proc.pid)) < workers and time.monotonic() < deadline:
        time.sleep(0.05)
    return proc, port


REFLEX_BUILD = procs.ROOT / ".web" / "build" / "client"


def reflex_build_missing() -> str | None:
    """Why the Reflex variant cannot run, or None. The benchmark never builds the console itself."""
    if not (REFLEX_BUILD / "index.html").exists():
        return f"{REFLEX_BUILD.relative_to(procs.ROOT)}/index.html is missing (run `make setup` to build the console)"
    return None


# A/B servers for the Reflex gap (bench/reflex_heap_app.py): name -> (granian target, what it is)
REFLEX_AB = {
    "reflex-heap": ("bench.reflex_heap_app:app", "the gateway app alone, console loaded beside it"),
    "reflex-hot": ("bench.reflex_heap_app:hot_console", "the console app, hot relay routes ahead of Reflex's layers"),
    "reflex-frozen": ("bench.reflex_heap_app:frozen_console", "the console app with gc.freeze() after it is built"),
}


def start_reflex(
    env: dict[str, str], log: Path, target: str = "newapi_ui.newapi_ui:app"
) -> tuple[subprocess.Popen, int]:
    """The console app with the gateway mounted in it, as `make run` serves it after its build:
    granian, one port, one worker, Reflex's own skip-compile switches (tests/ui/harness.py does
    the same), so the measured server is `newapi_ui.newapi_ui:app` and not a copy of it."""
    missing = reflex_build_missing()
    if missing:  # also when a console rebuild (make setup, the browser tests) runs meanwhile
        raise BenchError(f"cannot serve the Reflex app: {missing}")
    port = procs.free_port()
    granian = procs.ROOT / ".venv" / "bin" / "granian"
    env = {
        **env,
        "PORT": str(port),
        "REFLEX_ENV_MODE": "prod",
        "__REFLEX_SKIP_COMPILE": "true",
        "__REFLEX_MOUNT_FRONTEND_COMPILED_APP": "true",
        "REFLEX_TELEMETRY_ENABLED": "false",
        "REFLEX_CHECK_LATEST_VERSION": "false",
        "REFLEX_USE_SYSTEM_BUN": "1",
    }
    cmd = [str(granian) if granian.exists() else "granian", "--interface", "asgi", "--factory",
           "--host", "127.0.0.1", "--port", str(port), "--workers", "1", target]
    proc = procs.spawn(cmd, env=env, log=log)
    procs.wait_port(port, proc, timeout=90)
    deadline = time.monotonic() + 60
    while True:  # the gateway's status and Reflex's own ping both answer: the whole stack is up
        try:
            paths = ("/api/status",) if target.endswith(":app") and target.startswith("bench") else (
                "/api/status", "/ping")
            ok = all(httpx.get(f"http://127.0.0.1:{port}{p}", timeout=2).status_code == 200 for p in paths)
            if ok:
                break
        except httpx.HTTPError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            raise BenchError(f"Reflex app did not answer /api/status and /ping; see {log}")
        time.sleep(0.1)
    while not procs.children(proc.pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    return proc, port


def _api(client: httpx.Client, method: str, path: str, **kw: Any) -> Any:
    resp = client.request(method, path, **kw)
    try:
        body = resp.json()
    except ValueError:
        body = None
    if resp.status_code != 200 or not isinstance(body, dict) or not body.get("success"):
        raise BenchError(f"{method} {path} -> HTTP {resp.status_code}: {resp.text[:500]}")
    return body.get("data")


def seed(port: int, mock_port: int) -> str:
    """Root user, one OpenAI-type channel on the mock, one unlimited token; returns `sk-…`."""
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as c:
        _api(
            c,
            "POST",
            "/api/setup",
            json={
                "username": ROOT_USER,
                "password": ROOT_PASS,
                "confirmPassword": ROOT_PASS,
                "SelfUseModeEnabled": False,
                "DemoSiteEnabled": False,
            },
        )
        user = _api(c, "POST", "/api/user/login", json={"username": ROOT_USER, "password": ROOT_PASS})
        c.headers["New-Api-User"] = str(user["id"])
        _api(
            c,
            "POST",
            "/api/channel/",
            json={
                "mode": "single",
                "channel": {
                    "type": 1,
                    "name": "bench-mock",
                    "key": "sk-mock-upstream",
                    "base_url": f"http://127.0.0.1:{mock_port}",
                    "models": MODEL,
                    "group": "default",
                    "priority": 0,
                    "weight": 0,
                    "auto_ban": 0,
                },
            },
        )
        _api(
            c,
            "POST",
            "/api/token/",
            json={"name": "bench", "expired_time": -1, "remain_quota": 0, "unlimited_quota": True},
        )
        listing = _api(c, "GET", "/api/token/", params={"p": 1, "page_size": 10})
        items = listing["items"] if isinstance(listing, dict) else listing
        token_id = next(t["id"] for t in items if t["name"] == "bench")
        key = _api(c, "POST", f"/api/token/{token_id}/key")["key"]
    return key if key.startswith("sk-") else f"sk-{key}"


def consume_log_count(db_path: Path) -> int:
    with sqlite3.connect(db_path) as conn:
        return conn.execute("SELECT COUNT(*) FROM logs WHERE type = 2").fetchone()[0]


def measure_gateway(
    workers: int,
    seed_db: Path,
    tmp: Path,
    secret: str,
    key: str,
    mock_port: int,
    mock_pid: int,
    sizes: Sizes,
    profile_dir: Path | None,
    variant: Variant,
    server: str = "serve",
) -> dict[str, Any]:
    """One fresh server on a copy of the seeded DB: `newapi serve` (server="serve") with `workers`
    workers, or the Reflex console app (server="reflex", always one worker like `make run`)."""
    label = f"gateway-{workers}w" if server == "serve" else f"{server}-1w"
    db = tmp / f"{label}.db"
    shutil.copy(seed_db, db)
    log = tmp / f"{label}.log"
    if server == "reflex":
        print("Reflex console app (newapi_ui.newapi_ui:app), 1 worker:", flush=True)
        gw, port = start_reflex(gateway_env(db, secret), log)
    elif server in REFLEX_AB:
        print(f"{server}: {REFLEX_AB[server][1]} (A/B), 1 worker:", flush=True)
        gw, port = start_reflex(gateway_env(db, secret), log, REFLEX_AB[server][0])
    else:
        print(f"gateway, {workers} worker(s), variant {variant.name}:", flush=True)
        gw, port = start_gateway(workers, gateway_env(db, secret), log, variant)
    logs_before = consume_log_count(db)
    try:
        workers_pids = procs.worker_pids(gw.pid)
        memory_at_start = [procs.memory(pid).__dict__ for pid in workers_pids]
        profile = (workers_pids[0], profile_dir / label) if profile_dir else None
        result = run_phases(
            f"http://127.0.0.1:{port}/v1/chat/completions",
            {"Authorization": f"Bearer {key}"},
            sizes,
            mock_port,
            gw.pid,
            mock_pid,
            profile,
        )
        result["memory"] = [procs.memory(pid).__dict__ for pid in workers_pids]
        result["memory_at_start"] = memory_at_start  # booted and answering /api/status, no relay call yet
        result["supervisor_rss_mb"] = procs.memory(gw.pid).rss_mb
    finally:
        procs.stop(gw, timeout=30)
    # after a graceful stop every buffered consume log has been flushed
    sent_ok = sum(
        p["ok"] + p.get("warmup_ok", 0) for p in result.values() if isinstance(p, dict) and "ok" in p
    )
    result["consume_logs_written"] = consume_log_count(db) - logs_before
    result["successful_calls"] = sent_ok
    result["workers"] = workers
    result["server"] = server
    return result


# -- profiling (optional; needs py-spy) ----------------------------------------------------------


def start_profiler(pid: int, out_base: Path) -> subprocess.Popen:
    spy = shutil.which("py-spy") or str(procs.ROOT / ".venv" / "bin" / "py-spy")
    if not Path(spy).exists():
        raise BenchError("--profile needs py-spy: .venv/bin/pip install py-spy")
    out_base.parent.mkdir(parents=True, exist_ok=True)
    return subprocess.Popen(
        [
            spy,
            "record",
            "--pid",
            str(pid),
            "--rate",
            "250",
            "--format",
            "raw",
            "--output",
            str(out_base.with_suffix(".folded")),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def stop_profiler(proc: subprocess.Popen) -> None:
    proc.send_signal(signal.SIGINT)
    try:
        proc.wait(20)
    except subprocess.TimeoutExpired:
        proc.kill()


# -- report --------------------------------------------------------------------------------------


def summarize(direct: dict[str, Any], gateways: list[dict[str, Any]]) -> dict[str, Any]:
    one = min(gateways, key=lambda g: g["workers"])  # latency figures: the fewest workers measured
    two = next((g for g in gateways if g["workers"] == 2), None)
    s: dict[str, Any] = {
        "added_p50_ms": one["latency_c1"]["p50_ms"] - direct["latency_c1"]["p50_ms"],
        "added_p99_ms": one["latency_c1"]["p99_ms"] - direct["latency_c1"]["p99_ms"],
        "added_stream_p50_ms": one["stream_latency_c1"]["p50_ms"] - direct["stream_latency_c1"]["p50_ms"],
        "added_stream_ttfb_p50_ms": one["stream_latency_c1"]["ttfb_p50_ms"]
        - direct["stream_latency_c1"]["ttfb_p50_ms"],
        "rps_1_worker": one["throughput_c64"]["rps"],
        "rps_2_workers": two["throughput_c64"]["rps"] if two else None,
        "rps_direct": direct["throughput_c64"]["rps"],
        "gateway_cpu_ms_per_req_c1": one["latency_c1"]["server_cpu_ms_per_req"],
        "gateway_cpu_ms_per_req_c64": one["throughput_c64"]["server_cpu_ms_per_req"],
        "gateway_cpu_ms_per_stream_c1": one["stream_latency_c1"]["server_cpu_ms_per_req"],
        "streams_ok": {g["workers"]: g["streams"]["ok"] for g in gateways},
        "streams_errors": {g["workers"]: g["streams"]["errors"] for g in gateways},
        "rss_mb_per_worker_max": max(m["rss_mb"] for g in gateways for m in g["memory"]),
        "peak_rss_mb_per_worker_max": max(m["peak_rss_mb"] for g in gateways for m in g["memory"]),
        "pss_mb_per_worker_max": max(m["pss_mb"] for g in gateways for m in g["memory"]),
        "private_mb_per_worker_max": max(m["private_mb"] for g in gateways for m in g["memory"]),
        "every_call_logged": all(g["consume_logs_written"] == g["successful_calls"] for g in gateways),
    }
    s["targets"] = {
        "added_p50_ms": s["added_p50_ms"] <= TARGETS["added_p50_ms"],
        "added_p99_ms": s["added_p99_ms"] <= TARGETS["added_p99_ms"],
        "rps_2_workers": bool(two) and s["rps_2_workers"] >= TARGETS["rps_2_workers"],
        "streams_1000_no_error": all(
            g["streams"]["errors"] == 0 and g["streams"]["ok"] >= 1000 for g in gateways
        ),
        "rss_mb_per_worker": s["peak_rss_mb_per_worker_max"] <= TARGETS["rss_mb_per_worker"],
    }
    return s


def _num(v: float | None, fmt: str) -> str:
    """NaN (no successful call) arrives as null from the load generator's JSON."""
    return format(v, fmt) if v is not None else "-".rjust(int(fmt.split(".")[0] or 0))


def _ratio(a: float, b: float) -> str:
    return f"x{a / b:.2f}" if b else "-"


def _col_name(g: dict[str, Any]) -> str:
    server = g.get("server", "serve")
    return f"{server} 1w" if server != "serve" else f"gateway {g['workers']}w"


def print_report(
    direct: dict[str, Any],
    gateways: list[dict[str, Any]],
    s: dict[str, Any],
    reflex: dict[str, Any] | None = None,
    extra: list[dict[str, Any]] | None = None,
) -> None:
    measured = gateways + ([reflex] if reflex else []) + (extra or [])
    cols = [("direct", direct)] + [(_col_name(g), g) for g in measured]
    print()
    print(f"{'':28}" + "".join(f"{name:>16}" for name, _ in cols))

    def row(label: str, phase: str, key: str, fmt: str = "{:.3f}") -> None:
        cells = []
        for _, r in cols:
            v = r.get(phase, {}).get(key)
            cells.append(f"{fmt.format(v) if v is not None else '-':>16}")
        print(f"{label:28}" + "".join(cells))

    row("c=1 p50 ms", "latency_c1", "p50_ms")
    row("c=1 p99 ms", "latency_c1", "p99_ms")
    row("c=64 req/s", "throughput_c64", "rps", "{:.0f}")
    row("c=64 p50 ms", "throughput_c64", "p50_ms")
    row("c=64 p99 ms", "throughput_c64", "p99_ms")
    row("c=64 errors", "throughput_c64", "errors", "{}")
    row("server CPU ms/req c=1", "latency_c1", "server_cpu_ms_per_req")
    row("server CPU ms/req c=64", "throughput_c64", "server_cpu_ms_per_req")
    row("mock CPU ms/req c=64", "throughput_c64", "mock_cpu_ms_per_req")
    row("stream c=1 TTFB p50 ms", "stream_latency_c1", "ttfb_p50_ms")
    row("stream c=1 total p50 ms", "stream_latency_c1", "p50_ms")
    row("server CPU ms/stream", "stream_latency_c1", "server_cpu_ms_per_req")
    row("1000 streams ok", "streams", "ok", "{}")
    row("1000 streams errors", "streams", "errors", "{}")
    row("  peak open upstream", "streams", "peak_open_upstream_streams", "{}")
    row("  wall s", "streams", "elapsed_s", "{:.2f}")
    row("upstream conns c=64 phase", "throughput_c64", "upstream_connections", "{}")
    row("upstream conns 1000 streams", "streams", "upstream_connections", "{}")
    for g in measured:
        rss = ", ".join(
            f"RSS {m['rss_mb']:.0f} MB (peak {m['peak_rss_mb']:.0f}, PSS {m['pss_mb']:.0f}, private "
            f"{m['private_mb']:.0f})"
            for m in g["memory"]
        )
        rss += " at the end; at boot " + ", ".join(f"RSS {m['rss_mb']:.0f} MB" for m in g["memory_at_start"])
        print(
            f"{_col_name(g)} per worker: {rss}; consume logs {g['consume_logs_written']} "
            f"for {g['successful_calls']} successful calls"
        )
    for g in measured:
        prof = g["throughput_c64"].get("profile")
        if prof:
            layers = ", ".join(f"{k} {v}%" for k, v in prof["layers_pct"].items())
            print(
                f"{_col_name(g)} c=64 profile ({prof['samples']} CPU samples, {prof['file']}): {layers}"
            )
    print()
    t = s["targets"]

    def mark(ok: bool) -> str:
        return "ok  " if ok else "MISS"

    print(f"[{mark(t['added_p50_ms'])}] added latency p50 {s['added_p50_ms']:.3f} ms (target <= 1 ms)")
    print(f"[{mark(t['added_p99_ms'])}] added latency p99 {s['added_p99_ms']:.3f} ms (target <= 3 ms)")
    if s["rps_2_workers"] is not None:
        print(
            f"[{mark(t['rps_2_workers'])}] {s['rps_2_workers']:.0f} req/s at c=64 with 2 workers "
            f"(target >= 1500; direct {s['rps_direct']:.0f}, {_ratio(s['rps_2_workers'], s['rps_direct'])})"
        )
    print(
        f"[{mark(t['streams_1000_no_error'])}] concurrent streams ok {s['streams_ok']} errors "
        f"{s['streams_errors']}"
    )
    print(
        f"[{mark(t['rss_mb_per_worker'])}] peak RSS per worker {s['peak_rss_mb_per_worker_max']:.0f} MB "
        f"(target <= 150 MB)"
    )
    print(f"[{mark(s['every_call_logged'])}] every successful call wrote a consume log")
    if reflex:
        one = min(gateways, key=lambda g: g["workers"])
        print("through the Reflex app vs newapi serve, both 1 worker (CPU ms per call, ratio):")
        for label, phase in (("c=1", "latency_c1"), ("c=64", "throughput_c64"),
                             ("stream c=1", "stream_latency_c1"), ("1000 streams", "streams")):
            a, b = one[phase]["server_cpu_ms_per_req"], reflex[phase]["server_cpu_ms_per_req"]
            print(f"  {label:13} serve {a:.3f}  reflex {b:.3f}  {_ratio(b, a)}")
        logged = reflex["consume_logs_written"] == reflex["successful_calls"]
        print(f"[{mark(logged)}] Reflex app: every successful call wrote a consume log")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="gateway overhead benchmark")
    parser.add_argument("--quick", action="store_true", help="small counts, for checking the harness")
    parser.add_argument("--workers", default="1,2", help="gateway worker counts to measure")
    parser.add_argument(
        "--profile",
        action="store_true",
        help="py-spy the first worker during the c=64 phase (perturbs that phase's numbers)",
    )
    parser.add_argument("--out", type=Path, default=None, help="default bench/results/latest.json")
    parser.add_argument("--keep", action="store_true", help="keep the temp dir (DBs, server logs)")
    parser.add_argument(
        "--no-reflex",
        action="store_true",
        help="skip the Reflex console app (measured by default when .web is built)",
    )
    parser.add_argument(
        "--reflex-only",
        action="store_true",
        help="measure only the Reflex console app (plus the direct baseline and 1-worker newapi serve)",
    )
    parser.add_argument(
        "--reflex-heap",
        action="store_true",
        help="also the gateway app alone in a worker that loaded the console (bench/reflex_heap_app.py)",
    )
    parser.add_argument(
        "--reflex-ab",
        nargs="?",
        const=",".join(REFLEX_AB),
        default="",
        help=f"also these A/B servers of bench/reflex_heap_app.py (default all: {','.join(REFLEX_AB)})",
    )
    parser.add_argument(
        "--upstream",
        choices=("shipped", "aiohttp"),
        default="shipped",
        help="the relay's upstream client: as shipped, or bench/aiohttp_upstream.py swapped in (A/B)",
    )
    parser.add_argument(
        "--loop",
        choices=("auto", "asyncio", "uvloop", "rloop"),
        default="auto",
        help="granian's event loop (uvloop needs BENCH_EXTRA_PYTHONPATH, see gateway_app.py)",
    )
    parser.add_argument(
        "--task-impl", choices=("asyncio", "rust"), default="asyncio", help="granian's task impl"
    )
    parser.add_argument(
        "--preload", action="store_true", help="load app and tokenizers before granian forks (shared pages)"
    )
    parser.add_argument(
        "--backpressure",
        type=int,
        default=None,
        help="granian's connections-per-worker cap (newapi serve option)",
    )
    parser.add_argument(
        "--fast-path",
        action="store_true",
        help="chat completions straight to the pipeline, past FastAPI's router",
    )
    args = parser.parse_args(argv)
    variant = Variant(
        args.upstream, args.loop, args.task_impl, args.preload, args.fast_path, args.backpressure
    )
    sizes = QUICK if args.quick else FULL
    worker_counts = [1] if args.reflex_only else [int(w) for w in args.workers.split(",")]
    # the console app serves the shipped gateway only; A/B knobs apply to `newapi serve`
    reflex_skip = "--no-reflex" if args.no_reflex else ("not with an A/B variant" if variant.name != "stock"
                                                           else reflex_build_missing())
    if reflex_skip:
        print(f"Reflex console app: skipped ({reflex_skip})", flush=True)
    default_name = "quick.json" if args.quick else "latest.json"
    if variant.name != "stock":
        default_name = default_name.replace(".json", f"-{variant.name}.json")
    out = args.out or RESULTS / default_name

    # a hard stop: whatever hangs, the run ends and the finally blocks stop every server
    def _timeout(_sig: int, _frame: Any) -> None:
        raise BenchError("benchmark exceeded its 8-minute budget")

    signal.signal(signal.SIGALRM, _timeout)
    signal.alarm(480)

    tmp = Path(tempfile.mkdtemp(prefix="newapi-bench-"))
    secret = secrets.token_urlsafe(32)
    started = time.time()
    load_before = os.getloadavg()
    commit = _git_head()  # what the gateway runs is the work tree at start: note uncommitted edits too
    mock, mock_port = procs.start_mock(log=tmp / "mock.log")
    try:
        seed_db = tmp / "seed.db"
        gw, port = start_gateway(1, gateway_env(seed_db, secret), tmp / "seed.log")
        try:
            key = seed(port, mock_port)
        finally:
            procs.stop(gw, timeout=30)
        print(f"seeded gateway in {tmp} (channel -> mock on :{mock_port})", flush=True)

        print("direct to the mock:", flush=True)
        direct = run_phases(
            f"http://127.0.0.1:{mock_port}/v1/chat/completions",
            {"Authorization": "Bearer sk-mock-upstream"},
            sizes,
            mock_port,
            None,
            mock.pid,
        )
        profile_dir = RESULTS / "profile" / variant.name if args.profile else None
        gateways = [
            measure_gateway(w, seed_db, tmp, secret, key, mock_port, mock.pid, sizes, profile_dir, variant)
            for w in worker_counts
        ]
        reflex = None
        if not reflex_skip:
            reflex = measure_gateway(
                1, seed_db, tmp, secret, key, mock_port, mock.pid, sizes, profile_dir, variant, "reflex"
            )
        ab = [n for n in args.reflex_ab.split(",") if n] or (["reflex-heap"] if args.reflex_heap else [])
        unknown = set(ab) - set(REFLEX_AB)
        if unknown:
            raise BenchError(f"unknown --reflex-ab server(s): {sorted(unknown)}")
        extra = [
            measure_gateway(1, seed_db, tmp, secret, key, mock_port, mock.pid, sizes, profile_dir, variant, name)
            for name in (ab if not reflex_skip else [])
        ]
    finally:
        procs.stop(mock)
        signal.alarm(0)
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)
    summary = summarize(direct, gateways)
    print_report(direct, gateways, summary, reflex, extra)
    report = {
        "command": "python -m bench.run " + " ".join(argv if argv is not None else sys.argv[1:]),
        "variant": variant.__dict__ | {"name": variant.name},
        "finished_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "duration_s": round(time.time() - started, 1),
        "git_commit": commit,
        "uncommitted_backend_files": _git_dirty("backend"),
        "machine": {**procs.machine(), "loadavg_before": load_before, "loadavg_after": os.getloadavg()},
        "sizes": sizes.__dict__,
        "stream_chunk_delay_ms": STREAM_CHUNK_DELAY_MS,
        "targets": TARGETS,
        "summary": summary,
        "direct": direct,
        "gateways": gateways,
        "reflex": reflex,
        "reflex_skipped": reflex_skip,
        "reflex_heap": next((g for g in extra if g["server"] == "reflex-heap"), None),
        "reflex_ab": extra,
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(orjson.dumps(report, option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS))
    shown = out.resolve().relative_to(procs.ROOT) if out.resolve().is_relative_to(procs.ROOT) else out
    print(f"\nwrote {shown} in {report['duration_s']} s")
    return 0


def _git_dirty(path: str) -> int:
    try:
        out = subprocess.run(
            ["git", "status", "--short", "--", path],
            cwd=procs.ROOT,
            capture_output=True,
            text=True,
            timeout=5,
        ).stdout
    except (OSError, subprocess.TimeoutExpired):
        return -1
    return len(out.splitlines())


def _git_head() -> str:
    try:
        return subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=procs.ROOT, capture_output=True, text=True, timeout=5
        ).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        return ""


if __name__ == "__main__":
    sys.exit(main())
