"""The four load phases, run the same way against any target (the mock directly, `newapi serve`, the
Reflex app), each from `bench/loadgen.py` in its own process; CPU per request from /proc, the mock's
counters, and an optional py-spy profile of one phase (the c=64 one unless told)."""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import orjson

from bench import procs, profile_summary
from bench.common import CHAT_BODY, STREAM_BODY, STREAM_CHUNK_DELAY_MS, BenchError, Sizes


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
    profile: tuple[int, Path, str] | None = None,
    timeout: float = 120.0,
) -> dict[str, Any]:
    """The four phases against one target; with `server_pid`, also that server's CPU per request.
    With `profile` (worker pid, output base, phase), py-spy samples that worker during that phase.
    `timeout` bounds each phase's load generator (a slow server needs more than the default)."""
    out: dict[str, Any] = {}

    def phase(name: str, spec: dict[str, Any], chunk_delay_ms: float = 0) -> None:
        mock_config(mock_port, chunk_delay_ms)  # also zeroes the mock's counters
        spy = start_profiler(profile[0], profile[1]) if profile and name == profile[2] else None
        mock_cpu0 = procs.tree_cpu_seconds(mock_pid)
        cpu0 = procs.tree_cpu_seconds(server_pid) if server_pid else 0.0
        try:
            result = loadgen({"url": url, "headers": headers, **spec}, timeout)
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


def _num(v: float | None, fmt: str) -> str:
    """NaN (no successful call) arrives as null from the load generator's JSON."""
    return format(v, fmt) if v is not None else "-".rjust(int(fmt.split(".")[0] or 0))


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
