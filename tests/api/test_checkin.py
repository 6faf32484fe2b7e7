"""Daily check-in: the award within the configured range, once per user per day (also under
concurrent posts, by the unique constraint), a system log, and the month's stats."""

import threading
import time

from mgmt_helpers import app_client, auth, data, make_user, refused
from sqlmodel import select

from backend.db import log_session_scope, session_scope
from backend.models import Checkin, Log, User
from backend.models.enums import LogType
from backend.services import options


def _enable(low: int = 1000, high: int = 10000) -> None:
    options.update("checkin_setting.enabled", "true")
    options.update("checkin_setting.min_quota", str(low))
    options.update("checkin_setting.max_quota", str(high))


def test_disabled_by_default(storage):
    user = make_user("alice")
    c = app_client()
    assert "not enabled" in refused(c.post("/api/user/checkin", headers=auth(user)), 400)
    refused(c.get("/api/user/checkin", headers=auth(user)), 400)
    assert c.post("/api/user/checkin").status_code == 401


def test_check_in_once_a_day_with_log_and_stats(storage):
    _enable(1000, 1005)
    user = make_user("bob", quota=10)
    c = app_client()
    got = data(c.post("/api/user/checkin", headers=auth(user)))
    assert 1000 <= got["quota_awarded"] <= 1005 and got["checkin_date"] == time.strftime("%Y-%m-%d")
    assert "already" in refused(c.post("/api/user/checkin", headers=auth(user)), 400)
    with session_scope() as s:
        assert s.get(User, user.id).quota == 10 + got["quota_awarded"]
    with log_session_scope() as s:
        logs = s.exec(select(Log).where(Log.user_id == user.id)).all()
    assert [(entry.type, entry.quota) for entry in logs] == [(LogType.SYSTEM, got["quota_awarded"])]
    stats = data(c.get("/api/user/checkin", headers=auth(user)))
    assert (stats["enabled"], stats["min_quota"], stats["max_quota"]) == (True, 1000, 1005)
    assert stats["stats"]["checked_in_today"] is True and stats["stats"]["total_checkins"] == 1
    assert stats["stats"]["total_quota"] == got["quota_awarded"]
    assert stats["stats"]["records"] == [{"checkin_date": got["checkin_date"], "quota_awarded": got["quota_awarded"]}]
    assert data(c.get("/api/user/checkin?month=2001-02", headers=auth(user)))["stats"]["checkin_count"] == 0
    refused(c.get("/api/user/checkin?month=2001-13", headers=auth(user)), 400)
    assert data(c.get("/api/user/self", headers=auth(user)))["quota"] == 10 + got["quota_awarded"]


def test_fixed_award_and_other_users(storage):
    _enable(777, 777)
    a, b = make_user("carol"), make_user("dave")
    c = app_client()
    assert data(c.post("/api/user/checkin", headers=auth(a)))["quota_awarded"] == 777
    assert data(c.post("/api/user/checkin", headers=auth(b)))["quota_awarded"] == 777


def test_concurrent_check_ins_award_once(storage):
    _enable(500, 500)
    user = make_user("erin")
    c = app_client()
    barrier = threading.Barrier(6)
    results: list[bool] = []

    def go() -> None:
        barrier.wait()
        results.append(c.post("/api/user/checkin", headers=auth(user)).json()["success"])

    threads = [threading.Thread(target=go) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results.count(True) == 1
    with session_scope() as s:
        assert s.get(User, user.id).quota == 500
        assert len(s.exec(select(Checkin)).all()) == 1
