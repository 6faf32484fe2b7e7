"""The gateway as `newapi serve` runs it (or `bench/gateway_app.py` with one A/B knob changed):
its environment, starting it until every worker answers, and seeding it through the management API."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import httpx

from bench import procs
from bench.common import MODEL, ROOT_PASS, ROOT_USER, BenchError


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
