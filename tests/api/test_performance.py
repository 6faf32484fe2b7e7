"""/api/performance/* (root only): this worker's figures and the page's actions."""

from __future__ import annotations

import gc
import time
import weakref

from mgmt_helpers import app_client, auth, data, make_user, refused

from backend import cache
from backend.models.enums import Role
from backend.services import ledger


def _root() -> dict[str, str]:
    return auth(make_user("root", Role.ROOT))


def test_stats_report_the_process_pools_caches_and_ledger(storage):
    h = _root()
    user = make_user("spender", quota=1000)
    ledger.get_ledger().apply(user.id, None, quota_delta=7, used=7, requests=1)
    got = data(app_client().get("/api/performance/stats", headers=h))
    mem = got["memory_stats"]
    assert mem["alloc"] > 0 and mem["peak_rss"] >= mem["alloc"] and mem["sys"] >= mem["alloc"]
    assert mem["num_gc"] == sum(g["collections"] for g in got["gc"]["generations"])
    assert got["threads"] >= 1 and got["asyncio_tasks"] >= 1 and mem["num_goroutine"] == got["asyncio_tasks"]
    assert got["cpu"]["user_seconds"] > 0
    assert "main" in got["db_pools"] and "status" in got["db_pools"]["main"]
    assert got["caches"]["tokens"]["max_found"] == cache.MAX_FOUND
    assert got["ledger"]["pending_users"] >= 1 and got["ledger"]["pending_rows"] >= 3
    assert got["ledger"]["oldest_pending_seconds"] >= 0
    assert got["config"]["disk_cache_enabled"] is False
    assert got["disk_space_info"]["total"] > 0
    assert ledger.get_ledger().flush()
    assert data(app_client().get("/api/performance/stats", headers=h))["ledger"]["pending_rows"] == 0


class _Cycle:
    pass


def test_gc_runs_a_full_collection(sqlite_storage):
    a, b = _Cycle(), _Cycle()
    a.other, b.other = b, a
    gone = weakref.ref(a)
    gc.disable()  # keep the cycle alive until the route collects it
    try:
        del a, b
        r = app_client().post("/api/performance/gc", headers=_root())
    finally:
        gc.enable()
    body = r.json()
    assert body["success"] is True and body["message"] == "GC 已执行"
    assert gone() is None and body["data"]["collected"] >= 2


def test_reset_stats_moves_the_baseline(sqlite_storage):
    h = _root()
    before = time.time()
    r = app_client().post("/api/performance/reset_stats", headers=h)
    assert r.json() == {"success": True, "message": "统计信息已重置"}
    since = data(app_client().get("/api/performance/stats", headers=h))["since_reset"]
    assert since["since"] >= before and since["gc_collections"] >= 0


def test_clearing_the_cache_drops_token_and_user_snapshots(sqlite_storage):
    h = _root()
    cache._tokens.put("sk-some-key", None, time.time() + 60)  # a remembered miss
    assert len(cache._tokens) == 1
    got = data(app_client().delete("/api/performance/disk_cache", headers=h))
    assert got["cleared"] >= 1 and len(cache._tokens) == 0


def test_log_files_say_there_are_none(sqlite_storage):
    h = _root()
    assert data(app_client().get("/api/performance/logs", headers=h))["enabled"] is False
    refused(app_client().delete("/api/performance/logs?mode=by_age&value=1", headers=h), 400)
    refused(app_client().delete("/api/performance/logs?mode=by_count&value=0", headers=h), 400)
    assert data(app_client().delete("/api/performance/logs?mode=by_days&value=3", headers=h))["deleted_count"] == 0
