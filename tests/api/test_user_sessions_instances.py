"""Two gateway processes over one database and one Redis: a session ended on one is refused by the
other at once, although the other remembers checked sessions for an hour here."""

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
import orjson
import pytest
import redis
from mgmt_helpers import PASSWORD, app_client, auth, data, make_user
from sqlalchemy import delete

from backend.auth.sessions import session_id
from backend.cache import bus
from backend.db import session_scope
from backend.models import UserSession
from backend.models.enums import Role
from backend.services import sessions
from tests.conftest import free_port

ROOT = Path(__file__).resolve().parents[2]
# Instance B: the whole gateway, remembering sessions for an hour so only the bus can end one there.
INSTANCE_B = (
    "import sys, uvicorn\n"
    "from backend.services import sessions\n"
    "sessions.CACHE_TTL = 3600.0\n"
    "from backend.main import create_app\n"
    "uvicorn.run(create_app(), host='127.0.0.1', port=int(sys.argv[1]), log_level='warning')\n"
)


@pytest.fixture
def instance_b(storage, redis_url, tmp_path) -> Iterator[httpx.Client]:
    port = free_port()
    log = (tmp_path / "instance_b.log").open("wb")
    proc = subprocess.Popen([sys.executable, "-c", INSTANCE_B, str(port)], cwd=ROOT, env=dict(os.environ),
                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    client = httpx.Client(base_url=f"http://127.0.0.1:{port}")
    try:
        deadline = time.monotonic() + 60
        while True:
            with contextlib.suppress(httpx.HTTPError):
                if client.get("/api/status").status_code == 200:
                    break
            assert proc.poll() is None and time.monotonic() < deadline, (tmp_path / "instance_b.log").read_text()
            time.sleep(0.1)
        yield client
    finally:
        client.close()
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
        log.close()


def _status(b: httpx.Client, cookie: str, user_id: int) -> int:
    return b.get("/api/user/self", headers={"New-Api-User": str(user_id)},
                 cookies={sessions.COOKIE_NAME: cookie}).status_code


def _wait_refused(b: httpx.Client, cookie: str, user_id: int, what: str, probe=None) -> None:
    deadline = time.monotonic() + 20
    while _status(b, cookie, user_id) != 401:
        assert time.monotonic() < deadline, f"instance B still accepts the session after {what}"
        if probe is not None:
            probe()
        time.sleep(0.05)


def test_a_session_ended_on_one_instance_is_refused_on_the_other(instance_b, redis_url):
    b = instance_b
    root = make_user("root", Role.ROOT)
    alice = make_user("alice")
    browsers = {}  # instance A (this process): one client, so one cookie jar, per login

    def login() -> str:
        a = app_client()
        data(a.post("/api/user/login", json={"username": "alice", "password": PASSWORD}))
        cookie = a.cookies[sessions.COOKIE_NAME]
        browsers[cookie] = a
        return cookie

    probe, logged_out, reset = login(), login(), login()
    for cookie in (probe, logged_out, reset):
        assert _status(b, cookie, alice.id) == 200  # B has checked, and now remembers, each

    # B does not re-read the store: a row deleted without a notice still opens B...
    with session_scope() as s:
        s.execute(delete(UserSession).where(UserSession.id == session_id(probe)))
    assert _status(b, probe, alice.id) == 200
    # ...until a notice reaches it (repeated: B's listener may not have subscribed yet)
    client = redis.Redis.from_url(redis_url)
    note = orjson.dumps({"o": "probe", "k": sessions.BUS_KIND, "v": session_id(probe)})
    _wait_refused(b, probe, alice.id, "a notice", probe=lambda: client.publish(bus.channel(), note))
    client.close()

    # B's listener is live: A's own logout and A's admin reset must reach it, each by one notice.
    data(browsers[logged_out].get("/api/user/logout"))
    _wait_refused(b, logged_out, alice.id, "a logout on A")
    assert _status(b, reset, alice.id) == 200
    data(app_client().put("/api/user/", json={"id": alice.id, "password": "admin-chosen-1"}, headers=auth(root)))
    _wait_refused(b, reset, alice.id, "an admin password reset on A")
