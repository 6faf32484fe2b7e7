"""A second gateway process on the test's database and Redis (the environment the fixtures set),
for tests of what two instances share."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

from tests.support import free_port

ROOT = Path(__file__).resolve().parents[2]
INSTANCE_B = (
    "import sys, uvicorn\n"
    "from backend.main import create_app\n"
    "uvicorn.run(create_app(), host='127.0.0.1', port=int(sys.argv[1]), log_level='warning')\n"
)


@contextlib.contextmanager
def instance_b(tmp_path: Path) -> Iterator[str]:
    """Start a gateway in its own process; yield its base URL once it answers; stop it after."""
    port = free_port()
    log = (tmp_path / "instance_b.log").open("wb")
    proc = subprocess.Popen([sys.executable, "-c", INSTANCE_B, str(port)], cwd=ROOT, env=dict(os.environ),
                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(url + "/api/status").status_code == 200:
                    break
            assert proc.poll() is None and time.monotonic() < deadline, (tmp_path / "instance_b.log").read_text()
            time.sleep(0.1)
        yield url
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
        log.close()
