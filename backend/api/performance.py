"""`/api/performance/*` (root only, as in new-api): this worker's process figures, a GC run, a
cache clear, the "since reset" baseline, and the server log files new-api lists (this gateway logs
to stdout, so there are none: `enabled: false`, as new-api answers without a log directory)."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Query

from backend import cache
from backend.api.deps import RootUser
from backend.api.responses import fail, ok
from backend.services import performance

router = APIRouter(prefix="/performance", tags=["performance"])


@router.get("/stats")
async def get_stats(_root: RootUser) -> dict:
    tasks = len(asyncio.all_tasks())  # on the event loop: the figure is only meaningful here
    return ok(await asyncio.to_thread(performance.stats, tasks))


@router.post("/gc")
async def force_gc(_root: RootUser) -> dict:
    return ok(await asyncio.to_thread(performance.collect), "GC 已执行")


@router.post("/reset_stats")
def reset_stats(_root: RootUser) -> dict:
    performance.reset()
    return {"success": True, "message": "统计信息已重置"}


@router.delete("/disk_cache")
def clear_cache(_root: RootUser) -> dict:
    """No disk cache here; what this worker caches in memory is the token/user snapshots."""
    return ok({"cleared": cache.clear_local()}, "缓存已清理")


@router.get("/logs")
def log_files(_root: RootUser) -> dict:
    return ok({"log_dir": "", "enabled": False, "file_count": 0, "total_size": 0, "files": []})


@router.delete("/logs")
def cleanup_logs(_root: RootUser, mode: str = Query(""), value: str = Query("")):  # noqa: ANN201
    if mode not in ("by_count", "by_days") or not value.isdigit() or int(value) < 1:
        return fail("invalid log cleanup parameters")
    return ok({"deleted_count": 0, "freed_bytes": 0, "failed_files": []})
