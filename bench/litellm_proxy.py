"""LiteLLM's proxy side by side: the same four phases, against the same mock, in the same run.

LiteLLM is not a project dependency. The first run installs a pinned `litellm[proxy]` from PyPI into
a virtualenv of its own, `bench/.litellm-venv` (gitignored), and reuses it afterwards; when that
cannot be done (no network, no `venv` module) the scenario is skipped with the reason and the rest
of the run goes on. The proxy serves the mock's `gpt-4o-mini` with one uvicorn worker and a master
key, and without a database: it authenticates and routes, but keeps no per-key spend, no request
logs and no budgets, where `newapi serve` authenticates a real token, prices, reserves, settles and
writes a consume log per call. The comparison therefore favours LiteLLM in work done per call.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

from bench import procs
from bench.common import MODEL, Sizes
from bench.phases import run_phases

VERSION = "1.106.12"  # pinned (a proxy release is code run here); later ones need litellm-proxy, which pip cannot find here
VENV = Path(__file__).resolve().parent / ".litellm-venv"
MASTER_KEY = "sk-bench-litellm-master"
INSTALL_TIMEOUT_S = 900
PHASE_TIMEOUT_S = 900  # it needs 10-40x the gateway's CPU per call: 2,300 calls at c=1 can take minutes


def _binary() -> Path:
    return VENV / "bin" / "litellm"


def _installed_version() -> str:
    try:
        out = subprocess.run(
            [str(VENV / "bin" / "python"), "-c", "import importlib.metadata as m; print(m.version('litellm'))"],
            capture_output=True, text=True, timeout=60,
        )
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return out.stdout.strip() if out.returncode == 0 else ""


def ensure_installed() -> str | None:
    """Install the pinned proxy into bench/.litellm-venv if it is not there yet. Returns why it
    cannot be measured, or None when it can."""
    if _binary().exists() and _installed_version() == VERSION:
        return None
    print(f"installing litellm[proxy]=={VERSION} into {VENV.relative_to(procs.ROOT)} (once) ...", flush=True)
    steps = [
        [sys.executable, "-m", "venv", str(VENV)],
        [str(VENV / "bin" / "pip"), "install", "--quiet", f"litellm[proxy]=={VERSION}"],
    ]
    for step in steps:
        try:
            done = subprocess.run(step, capture_output=True, text=True, timeout=INSTALL_TIMEOUT_S)
        except (OSError, subprocess.TimeoutExpired) as exc:
            return f"could not install litellm[proxy]=={VERSION}: {exc}"
        if done.returncode != 0:
            tail = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
            return f"could not install litellm[proxy]=={VERSION}: {tail[0][:300]}"
    return None if _binary().exists() else f"litellm[proxy]=={VERSION} installed no `litellm` command"


def _config(mock_port: int) -> str:
    return (
        "model_list:\n"
        f"  - model_name: {MODEL}\n"
        "    litellm_params:\n"
        f"      model: openai/{MODEL}\n"
        f"      api_base: http://127.0.0.1:{mock_port}/v1\n"
        "      api_key: sk-mock-upstream\n"
        "general_settings:\n"
        f"  master_key: {MASTER_KEY}\n"
        "litellm_settings:\n"
        "  drop_params: true\n"
        "  telemetry: false\n"
    )


def start(tmp: Path, mock_port: int) -> tuple[subprocess.Popen, int]:
    config = tmp / "litellm.yaml"
    config.write_text(_config(mock_port))
    port = procs.free_port()
    env = {
        "LITELLM_LOCAL_MODEL_COST_MAP": "True",  # the price map from the package, not fetched at start
        "LITELLM_LOG": "ERROR",
        "LITELLM_TELEMETRY": "False",
        "NO_DOCS": "True",
    }
    proc = procs.spawn(
        [str(_binary()), "--config", str(config), "--host", "127.0.0.1", "--port", str(port), "--num_workers", "1"],
        env=env,
        log=tmp / "litellm.log",
    )
    procs.wait_port(port, proc, timeout=180)  # the proxy imports a great deal before it listens
    return proc, port


def measure(tmp: Path, mock_port: int, mock_pid: int, sizes: Sizes) -> dict[str, Any]:
    """The four phases through the LiteLLM proxy (one worker), its CPU per call and its memory."""
    print(f"LiteLLM proxy {VERSION}, 1 worker (no database):", flush=True)
    proc, port = start(tmp, mock_port)
    try:
        pids = procs.worker_pids(proc.pid)
        memory_at_start = [procs.memory(pid).__dict__ for pid in pids]
        result = run_phases(
            f"http://127.0.0.1:{port}/v1/chat/completions",
            {"Authorization": f"Bearer {MASTER_KEY}"},
            sizes,
            mock_port,
            proc.pid,
            mock_pid,
            timeout=PHASE_TIMEOUT_S,
        )
        result["memory"] = [procs.memory(pid).__dict__ for pid in pids]
        result["memory_at_start"] = memory_at_start
    finally:
        procs.stop(proc, timeout=30)
    result["server"] = "litellm"
    result["version"] = VERSION
    result["workers"] = 1
    return result


def compare(direct: dict[str, Any], serve: dict[str, Any], litellm: dict[str, Any]) -> dict[str, Any]:
    """LiteLLM against `newapi serve`, both one worker: ratios litellm / newapi (above 1: LiteLLM
    needs more; for req/s above 1 means LiteLLM served more)."""

    def added(target: dict[str, Any], phase: str, key: str) -> float:
        return target[phase][key] - direct[phase][key]

    def ratio(a: float | None, b: float | None) -> float | None:
        return round(a / b, 2) if a is not None and b else None

    rows: dict[str, dict[str, float | None]] = {}
    failed = {phase for phase in ("latency_c1", "throughput_c64", "stream_latency_c1", "streams")
              if litellm[phase]["errors"] or serve[phase]["errors"]}  # CPU per failed call means nothing
    for label, phase, key in (
        ("req_s_c64", "throughput_c64", "rps"),
        ("cpu_ms_per_req_c1", "latency_c1", "server_cpu_ms_per_req"),
        ("cpu_ms_per_req_c64", "throughput_c64", "server_cpu_ms_per_req"),
        ("cpu_ms_per_stream_c1", "stream_latency_c1", "server_cpu_ms_per_req"),
        ("cpu_ms_per_stream_1000", "streams", "server_cpu_ms_per_req"),
    ):
        a, b = serve[phase][key], litellm[phase][key]
        rows[label] = {"newapi": a, "litellm": None if phase in failed else b, "ratio": None if phase in failed else ratio(b, a)}
    for label, phase, key in (
        ("added_p50_ms_c1", "latency_c1", "p50_ms"),
        ("added_p99_ms_c1", "latency_c1", "p99_ms"),
        ("added_stream_ttfb_p50_ms", "stream_latency_c1", "ttfb_p50_ms"),
    ):
        a, b = added(serve, phase, key), added(litellm, phase, key)
        rows[label] = {"newapi": a, "litellm": b, "ratio": ratio(b, a)}
    rows["streams_ok"] = {"newapi": serve["streams"]["ok"], "litellm": litellm["streams"]["ok"], "ratio": None}
    rows["streams_errors"] = {"newapi": serve["streams"]["errors"], "litellm": litellm["streams"]["errors"], "ratio": None}
    rss_a = max(m["rss_mb"] for m in serve["memory"])
    rss_b = max(m["rss_mb"] for m in litellm["memory"])
    rows["rss_mb_per_worker"] = {"newapi": rss_a, "litellm": rss_b, "ratio": ratio(rss_b, rss_a)}
    return rows


def print_comparison(rows: dict[str, dict[str, float | None]]) -> None:
    print(f"\nLiteLLM {VERSION} vs newapi serve, both 1 worker, same mock, same run (ratio = litellm / newapi):")
    for label, row in rows.items():
        a, b, r = row["newapi"], row["litellm"], row["ratio"]
        fa = f"{a:.3f}" if isinstance(a, float) else ("-" if a is None else str(a))
        fb = f"{b:.3f}" if isinstance(b, float) else ("-" if b is None else str(b))
        print(f"  {label:26} newapi {fa:>10}  litellm {fb:>10}  {'x' + format(r, '.2f') if r else ''}")
