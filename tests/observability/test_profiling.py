"""Continuous profiling: with PYROSCOPE_URL set, the gateway's agent pushes profiles to that
server (a local fake here) under PYROSCOPE_APP_NAME with basic auth; without it nothing starts."""

from __future__ import annotations

import base64
import contextlib
import gzip
import os
import signal
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx

from backend.config import reset_settings
from backend.observability import profiling
from tests.support import free_port, wait_until

ROOT = Path(__file__).resolve().parents[2]


class FakePyroscope:
    """Records each push: the agent (pyroscope-io 1.x) sends gzipped protobuf to
    `/push.v1.PusherService/Push`; the app name and tags travel in it as plain strings."""

    def __init__(self) -> None:
        self.pushes: list[tuple[str, bytes, str]] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            def do_POST(self) -> None:  # noqa: N802 - the http.server API
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if self.headers.get("Content-Encoding") == "gzip":
                    body = gzip.decompress(body)
                owner.pushes.append((self.path, body, self.headers.get("Authorization", "")))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                return None

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()


def test_profiles_reach_the_pyroscope_server(tmp_path):
    fake = FakePyroscope()
    port = free_port()
    env = {**os.environ, "PYROSCOPE_URL": fake.url, "PYROSCOPE_APP_NAME": "gateway-test",
           "PYROSCOPE_BASIC_AUTH_USER": "ops", "PYROSCOPE_BASIC_AUTH_PASSWORD": "pw", "HOSTNAME": "node-7", "PYROSCOPE_UPLOAD_INTERVAL": "1",
           "SQL_DSN": "", "SQLITE_PATH": str(tmp_path / "one-api.db")}
    log = (tmp_path / "serve.log").open("wb")
    proc = subprocess.Popen([sys.executable, "-m", "backend.cli", "serve", "--host", "127.0.0.1", "--port", str(port)],
                            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        def up() -> bool:
            with contextlib.suppress(httpx.HTTPError):
                return httpx.get(f"http://127.0.0.1:{port}/api/status", timeout=2).status_code == 200
            return False

        wait_until(up, timeout=90)
        wait_until(lambda: fake.pushes, "a profile push", timeout=90)
        path, body, authorization = fake.pushes[0]
        assert path.endswith("/Push")
        assert b"gateway-test" in body and b"node-7" in body
        assert authorization == "Basic " + base64.b64encode(b"ops:pw").decode()
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
        log.close()
        fake.close()


def test_nothing_starts_without_a_url(monkeypatch):
    monkeypatch.delenv("PYROSCOPE_URL", raising=False)
    reset_settings()
    assert profiling.start() is False
    assert not profiling._started
