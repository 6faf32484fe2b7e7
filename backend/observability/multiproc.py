"""Prometheus' multiprocess mode for several workers: the directory of per-process metric files.

prometheus_client keeps one mmapped file per worker (and metric kind) in `PROMETHEUS_MULTIPROC_DIR`
and `/metrics` sums them, so any worker answers for all. The directory must exist before the
workers import the library and must start empty (files left by an earlier run would be counted
again), so the launcher prepares it: `newapi serve --workers N`, and `newapi metrics-dir` for the
Makefile's `start`/`run`, which launch granian or Reflex themselves.
"""

from __future__ import annotations

import glob
import os
import re
import tempfile
from pathlib import Path

ENV = "PROMETHEUS_MULTIPROC_DIR"
# Only the library's own files are removed from a directory the operator named.
_METRIC_FILE = re.compile(r"^(counter|gauge_[a-z]+|histogram|summary)_\d+\.db$")
_LIVE_GAUGE = re.compile(r"^gauge_live[a-z]+_(\d+)\.db$")


def enabled() -> bool:
    return bool(os.environ.get(ENV))


def prepare(workers: int) -> str:
    """The directory to export as PROMETHEUS_MULTIPROC_DIR for `workers` workers ("" for one: a
    single process counts in memory, which is cheaper). The operator's own value is kept (and its
    stale metric files removed); otherwise a fresh temporary directory is made."""
    configured = os.environ.get(ENV, "")
    if workers <= 1 and not configured:
        return ""
    path = Path(configured) if configured else Path(tempfile.mkdtemp(prefix="newapi-metrics-"))
    path.mkdir(parents=True, exist_ok=True)
    for entry in path.iterdir():
        if _METRIC_FILE.match(entry.name):
            entry.unlink(missing_ok=True)
    return str(path)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True


def forget_dead_workers() -> None:
    """Drop the live gauges (streams in flight, flush lag) of workers that are gone (a worker the
    server restarted), so they stop counting. Counters and histograms of a dead worker stay: their
    totals happened and must not go backwards."""
    # Imported here, not at the top: the launcher (cli.py) imports this module before it exports
    # PROMETHEUS_MULTIPROC_DIR, and the library fixes its mode at its first import.
    from prometheus_client import multiprocess

    path = os.environ.get(ENV, "")
    for name in glob.glob(os.path.join(path, "gauge_live*_*.db")):
        found = _LIVE_GAUGE.match(os.path.basename(name))
        if found and not _alive(int(found.group(1))):
            multiprocess.mark_process_dead(int(found.group(1)), path)
