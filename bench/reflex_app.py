"""The Reflex console app with the gateway mounted in it, as `make run` serves a built console, and
the A/B servers of `bench/reflex_heap_app.py`."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import httpx

from bench import procs
from bench.common import BenchError

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
