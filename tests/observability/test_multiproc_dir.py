"""Preparing PROMETHEUS_MULTIPROC_DIR: none for one worker, a fresh one for several, an operator's
directory cleared of old metric files only; live gauges of workers that died are dropped."""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from backend.observability import multiproc


def test_one_worker_counts_in_memory(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(multiproc.ENV, raising=False)
    assert multiproc.prepare(1) == ""


def test_several_workers_get_a_fresh_directory(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv(multiproc.ENV, raising=False)
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    monkeypatch.setattr(tempfile, "tempdir", None)  # re-read TMPDIR
    made = Path(multiproc.prepare(2))
    assert made.is_dir() and made.parent == tmp_path and not any(made.iterdir())


def test_an_operators_directory_loses_only_metric_files(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("counter_12.db", "histogram_12.db", "gauge_livesum_12.db", "gauge_max_9.db", "notes.txt",
                 "counter.db"):
        (tmp_path / name).write_text("x")
    monkeypatch.setenv(multiproc.ENV, str(tmp_path))
    assert multiproc.prepare(1) == str(tmp_path)  # the operator asked for it: used even for one worker
    assert sorted(p.name for p in tmp_path.iterdir()) == ["counter.db", "notes.txt"]


def test_dead_workers_live_gauges_are_dropped(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    for pid in (dead.pid, 1):  # pid 1 is alive
        for name in (f"gauge_livesum_{pid}.db", f"gauge_livemax_{pid}.db", f"counter_{pid}.db"):
            (tmp_path / name).write_text("x")
    monkeypatch.setenv(multiproc.ENV, str(tmp_path))
    multiproc.forget_dead_workers()
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [f"counter_{dead.pid}.db", "gauge_livesum_1.db", "gauge_livemax_1.db", "counter_1.db"])
