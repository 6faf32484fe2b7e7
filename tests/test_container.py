"""The container image and compose files, checked as far as this machine allows (it has no
container engine): every file the build copies exists and is not ignored, the image's command is
the Makefile's `start`, and `make start` itself serves a migrated gateway from the built console
bundle, as the runtime stage runs it, and passes the image's HEALTHCHECK.
"""

from __future__ import annotations

import fnmatch
import json
import os
import re
import shlex
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
import yaml

from backend.config import Settings
from tests.support import free_port

ROOT = Path(__file__).resolve().parents[1]
DOCKERFILE = (ROOT / "Dockerfile").read_text()


def _instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    text = re.sub(r"\\\n", " ", DOCKERFILE)
    out = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            out.append((word.upper(), rest.strip()))
    return out


def _stages() -> list[list[tuple[str, str]]]:
    stages: list[list[tuple[str, str]]] = []
    for ins in _instructions():
        if ins[0] == "FROM":
            stages.append([])
        stages[-1].append(ins)
    return stages


def _ignored(path: str) -> bool:
    patterns = [p.strip() for p in (ROOT / ".dockerignore").read_text().splitlines()
                if p.strip() and not p.startswith("#")]
    return any(fnmatch.fnmatch(path, p) or path.startswith(p.rstrip("/") + "/") for p in patterns)


def test_every_copied_source_exists_and_is_not_ignored():
    copies = [args for word, args in _instructions() if word == "COPY" and "--from=" not in args]
    assert copies
    for args in copies:
        *sources, _dest = [a for a in shlex.split(args) if not a.startswith("--")]
        for src in sources:
            assert (ROOT / src).exists(), f"COPY source {src} is missing"
            assert not _ignored(src), f"COPY source {src} is excluded by .dockerignore"


def test_the_image_runs_make_start_unprivileged_with_data_in_a_volume():
    build, runtime = _stages()
    final = dict(runtime)
    assert json.loads(final["CMD"]) == ["make", "start"]
    assert re.search(r"^start:", (ROOT / "Makefile").read_text(), re.M)
    assert final["USER"] not in ("root", "0")
    assert final["EXPOSE"] == "3000"
    assert "/data" in final["VOLUME"]
    assert "SQLITE_PATH=/data/" in final["ENV"]
    assert "/api/status" in final["HEALTHCHECK"]
    # The runtime stage takes the built app from the build stage, which runs `make setup`.
    assert any(w == "COPY" and "--from=build" in a for w, a in runtime)
    assert any(w == "RUN" and "make setup" in a for w, a in build)


def _compose(name: str) -> dict:
    class Loader(yaml.SafeLoader):
        pass

    # Compose's merge tags (!reset, !override) mean nothing to this check: read the plain value.
    Loader.add_multi_constructor("!", lambda loader, _suffix, node: (
        loader.construct_mapping(node) if isinstance(node, yaml.MappingNode) else None))
    return yaml.load((ROOT / name).read_text(), Loader=Loader)


@pytest.mark.parametrize("name", ["docker-compose.yml", "docker-compose.mysql.yml"])
def test_compose_files_use_the_gateways_variable_names(name):
    app = _compose(name)["services"]["newapi"]
    known = set(Settings.model_fields) | {"WORKERS", "TZ"}
    assert set(app["environment"]) <= known
    for dependency in app["depends_on"].values():
        assert dependency["condition"] == "service_healthy"


def test_compose_starts_after_healthy_storage_and_keeps_secrets_out():
    main = _compose("docker-compose.yml")
    assert main["services"]["newapi"]["build"] == "."
    for service in main["services"].values():
        for value in (service.get("environment") or {}).values():
            # Every secret is taken from the environment, none is written in the file.
            assert "SECRET" not in str(value) or "${" in str(value)
    assert "healthcheck" in main["services"]["postgres"] and "healthcheck" in main["services"]["redis"]


def _healthcheck_command(port: int) -> list[str]:
    runtime = dict(_stages()[1])
    exec_form = runtime["HEALTHCHECK"].split("CMD", 1)[1].strip()
    return [part.replace("3000", str(port)) for part in json.loads(exec_form)]


@pytest.mark.skipif(not (ROOT / ".web" / "build" / "client").is_dir(), reason="the console is built by make setup")
def test_make_start_migrates_and_serves_what_the_healthcheck_asks(tmp_path):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SQL_", "REDIS_", "NEWAPI_"))}
    env |= {"PORT": str(port), "HOST": "127.0.0.1", "SQL_DSN": "", "SQLITE_PATH": str(tmp_path / "data/one-api.db"),
            "SESSION_SECRET": "container-test"}
    log = (tmp_path / "server.log").open("wb")
    proc = subprocess.Popen(["make", "--no-print-directory", "start", f"BIN={Path(sys.executable).parent}"],
                            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 90
        status = None
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/status", timeout=2) as r:
                    status = json.loads(r.read())
                    break
            except OSError:
                time.sleep(0.3)
        assert status is not None, (tmp_path / "server.log").read_text()[-3000:]
        assert status["success"] is True
        assert (tmp_path / "data" / "one-api.db").is_file()  # migrated on start
        health = _healthcheck_command(port)
        health[0] = sys.executable if health[0].startswith("python") else health[0]
        assert subprocess.run(health, timeout=20).returncode == 0
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as r:
            assert b"<html" in r.read(2000)  # the console, from the prebuilt bundle
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
        log.close()
