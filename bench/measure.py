"""One measured server: a fresh `newapi serve`, Reflex app or A/B server on a copy of the seeded
database, the four phases through it, its memory, and the consume logs it wrote."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from bench import procs
from bench.common import Sizes
from bench.gateway import Variant, consume_log_count, gateway_env, start_gateway
from bench.phases import run_phases
from bench.reflex_app import REFLEX_AB, start_reflex


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
    profile_phase: str = "throughput_c64",
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
        profile = (workers_pids[0], profile_dir / f"{label}-{profile_phase}", profile_phase) if profile_dir else None
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
