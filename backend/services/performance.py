"""What the performance page (`/api/performance/*`) can honestly say about this Python process.

new-api reports Go runtime numbers (heap bytes, goroutines, GC count) and a disk cache. The Python
peers: resident and peak memory from /proc, CPU time, threads and asyncio tasks, the garbage
collector's counts, the DB connection pools, the token/user caches, the buffered counter deltas and
how old the oldest is (the ledger's flush lag), the usage-log buffer and the journal. The figures
are this worker's: with several workers each answers for itself (`pid` says which). new-api's keys
are kept where a true equivalent exists (`memory_stats.alloc` is RSS, `num_gc` the collections,
`num_goroutine` the asyncio tasks); this gateway has no disk cache, so `config.disk_cache_enabled`
is false and `disk_cache_info` says so.
"""

from __future__ import annotations

import asyncio
import gc
import os
import resource
import shutil
import threading
import time
from pathlib import Path
from typing import Any

from backend import cache, db
from backend.config import get_settings
from backend.services import journal, ledger, quota_data, usage_log

_baseline_lock = threading.Lock()
_baseline: dict[str, float] = {}


def _proc_status() -> dict[str, int]:
    """VmRSS / VmHWM / VmSize in bytes (Linux); empty elsewhere."""
    found: dict[str, int] = {}
    try:
        text = Path("/proc/self/status").read_text()
    except OSError:
        return found
    for line in text.splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM", "VmSize") and rest.strip().endswith("kB"):
            found[key] = int(rest.split()[0]) * 1024
    return found


def _gc_collections() -> int:
    return sum(int(g.get("collections", 0)) for g in gc.get_stats())


def _cpu() -> tuple[float, float]:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime, usage.ru_stime


def _counters() -> dict[str, float]:
    user, system = _cpu()
    return {"at": time.time(), "cpu_user": user, "cpu_system": system, "gc": float(_gc_collections())}


def reset() -> None:
    """Start the "since reset" figures again (new-api's reset_stats)."""
    with _baseline_lock:
        _baseline.clear()
        _baseline.update(_counters())


def _since_reset(now: dict[str, float]) -> dict[str, float]:
    with _baseline_lock:
        if not _baseline:
            _baseline.update(now)
        base = dict(_baseline)
    return {"since": base["at"], "seconds": round(now["at"] - base["at"], 3),
            "cpu_user_seconds": round(now["cpu_user"] - base["cpu_user"], 3),
            "cpu_system_seconds": round(now["cpu_system"] - base["cpu_system"], 3),
            "gc_collections": int(now["gc"] - base["gc"])}


def _asyncio_tasks() -> int | None:
    try:
        return len(asyncio.all_tasks())
    except RuntimeError:  # no loop in this thread (a worker thread)
        return None


def _ledger() -> dict[str, Any]:
    pending = ledger.get_ledger().pending()
    rows = sum(len(part) for part in pending.parts())
    return {"pending_rows": rows, "pending_users": len(pending.user_quota), "pending_tokens": len(pending.token_remain),
            "oldest_pending_seconds": round(time.time() - pending.since, 3) if pending.since and rows else 0.0,
            "flush_interval_seconds": get_settings().BATCH_UPDATE_INTERVAL,
            "usage_logs_buffered": len(usage_log.pending()), "quota_data_buffered": len(quota_data.pending())}


def _disk() -> dict[str, Any]:
    path = Path(get_settings().SQLITE_PATH).resolve().parent
    while not path.exists() and path != path.parent:  # the data directory may not exist (PostgreSQL, MySQL)
        path = path.parent
    try:
        usage = shutil.disk_usage(path)
    except OSError:
        return {"path": str(path), "total": 0, "used": 0, "free": 0, "used_percent": 0.0}
    return {"path": str(path), "total": usage.total, "used": usage.used, "free": usage.free,
            "used_percent": round(usage.used * 100 / usage.total, 2) if usage.total else 0.0}


def stats(tasks: int | None = None) -> dict[str, Any]:
    """The page's figures; `tasks` is the asyncio task count taken on the event loop by the caller."""
    proc = _proc_status()
    now = _counters()
    gen_stats = gc.get_stats()
    journal_now = journal.current()
    return {
        "pid": os.getpid(),
        "uptime_seconds": round(time.time() - _STARTED, 3),
        "memory_stats": {"alloc": proc.get("VmRSS", 0), "sys": proc.get("VmSize", 0), "peak_rss": proc.get("VmHWM", 0),
                         "num_gc": int(now["gc"]), "num_goroutine": tasks if tasks is not None else 0},
        "cpu": {"user_seconds": round(now["cpu_user"], 3), "system_seconds": round(now["cpu_system"], 3)},
        "threads": threading.active_count(),
        "asyncio_tasks": tasks,
        "gc": {"enabled": gc.isenabled(), "thresholds": list(gc.get_threshold()), "counts": list(gc.get_count()),
               "generations": [{"collections": g.get("collections", 0), "collected": g.get("collected", 0),
                                "uncollectable": g.get("uncollectable", 0)} for g in gen_stats],
               "garbage": len(gc.garbage)},
        "since_reset": _since_reset(now),
        "db_pools": db.pool_status(),
        "caches": cache.local_sizes(),
        "ledger": _ledger(),
        "journal": journal_now.state() if journal_now is not None else {"enabled": False},
        "disk_space_info": _disk(),
        "disk_cache_info": {"path": "", "exists": False, "file_count": 0, "total_size": 0},
        "config": {"disk_cache_enabled": False, "is_running_in_container": Path("/.dockerenv").exists()},
    }


def collect() -> dict[str, int]:
    """A full collection now; what it freed (objects) and the resident memory before and after."""
    before = _proc_status().get("VmRSS", 0)
    freed = gc.collect()
    return {"collected": freed, "rss_before": before, "rss_after": _proc_status().get("VmRSS", 0)}


_STARTED = time.time()
