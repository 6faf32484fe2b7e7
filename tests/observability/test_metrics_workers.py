"""`/metrics` with two workers (`newapi serve --workers 2` as a subprocess): whichever worker
answers the scrape reports the calls both workers served, exactly."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from metrics_scrape import scrape, value
from prometheus_client.multiprocess import MultiProcessCollector

from tests.conftest import free_port
from tests.fakes.upstream import FakeUpstream
from tests.relay.relay_seed import make_channel, make_key, set_option

ROOT = Path(__file__).resolve().parents[2]
BODY = {"model": "gpt-4o", "messages": [{"role": "user", "content": "Say hello"}]}
BATCH = 12


@contextlib.contextmanager
def served(tmp_path: Path, metrics_dir: Path | None) -> Iterator[str]:
    """`metrics_dir`: the operator's PROMETHEUS_MULTIPROC_DIR, or None to let `serve` make one (under
    TMPDIR, here tmp_path/tmp)."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "PROMETHEUS_MULTIPROC_DIR"}
    env["BATCH_UPDATE_INTERVAL"] = "0.2"
    if metrics_dir is not None:
        env["PROMETHEUS_MULTIPROC_DIR"] = str(metrics_dir)
    else:
        (tmp_path / "tmp").mkdir()
        env["TMPDIR"] = str(tmp_path / "tmp")
    log = (tmp_path / "serve.log").open("wb")
    proc = subprocess.Popen([sys.executable, "-m", "backend.cli", "serve", "--workers", "2", "--host", "127.0.0.1",
                             "--port", str(port)], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(url + "/api/status", timeout=5).status_code == 200:
                    break
            assert proc.poll() is None and time.monotonic() < deadline, (tmp_path / "serve.log").read_text()
            time.sleep(0.1)
        yield url
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
        log.close()


def _per_worker_requests(metrics_dir: Path) -> dict[str, float]:
    """Calls counted in each worker's own file (pid -> count)."""
    out: dict[str, float] = {}
    for path in metrics_dir.glob("counter_*.db"):
        total = sum(s.value for m in MultiProcessCollector.merge([str(path)]) for s in m.samples
                    if s.name == "newapi_relay_requests_total")
        if total:
            out[path.stem.split("_")[1]] = total
    return out


@pytest.mark.parametrize("given_dir", [True, False], ids=["operator-dir", "own-dir"])
def test_two_workers_report_every_call_exactly(sqlite_storage, tmp_path: Path, given_dir: bool) -> None:
    metrics_dir = tmp_path / "metrics"
    metrics_dir.mkdir()
    (metrics_dir / "counter_1.db").write_bytes(b"stale")  # an earlier run's file: must be cleared at start
    with FakeUpstream() as fake:
        set_option("RetryTimes", "1")
        failing = make_channel(fake.url, "gpt-4o", key="sk-broken", priority=10)
        working = make_channel(fake.url, "gpt-4o", key="sk-fine", priority=0)
        fake.fail_keys["sk-broken"] = 500
        _user, _token, key = make_key()
        with served(tmp_path, metrics_dir if given_dir else None) as url:
            if given_dir:
                assert not (metrics_dir / "counter_1.db").exists()
            else:
                [metrics_dir] = (tmp_path / "tmp").glob("newapi-metrics-*")

            def call(_: int) -> int:  # a connection of its own, so both workers get some
                return httpx.post(url + "/v1/chat/completions", json=BODY, timeout=60,
                                  headers={"Authorization": f"Bearer {key}"}).status_code

            sent = 0
            with ThreadPoolExecutor(6) as pool:
                for _ in range(20):  # until both workers have served calls (bounded)
                    assert list(pool.map(call, range(BATCH))) == [200] * BATCH
                    sent += BATCH
                    if len(_per_worker_requests(metrics_dir)) == 2:
                        break
            assert len(_per_worker_requests(metrics_dir)) == 2, "one worker served every call"
            for _ in range(6):  # each scrape is answered by either worker: all report the same totals
                found = scrape(url)
                assert value(found, "newapi_relay_requests_total", model="gpt-4o", channel=str(working),
                             status="200", format="openai_chat") == sent
                assert value(found, "newapi_relay_upstream_errors_total", channel=str(failing), status="500") == sent
                assert value(found, "newapi_relay_retries_total", channel=str(failing)) == sent
                assert value(found, "newapi_relay_retries_total", channel=str(working)) == 0
                assert value(found, "newapi_relay_request_duration_seconds_count", format="openai_chat") == sent
                assert value(found, "newapi_relay_streams_in_flight") == 0
