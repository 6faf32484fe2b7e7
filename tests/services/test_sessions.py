"""The session store: every check reads it (or, with Redis, a memory the bus keeps honest), endings
are announced once committed, and a check racing an ending never caches the ended session."""

from __future__ import annotations

import time

import orjson
import pytest
import redis
from sqlalchemy import delete

from backend.auth.sessions import session_id
from backend.cache import bus
from backend.db import session_scope
from backend.models import UserSession
from backend.services import sessions, users
from tests.conftest import LiveServer


def _user(name: str = "alice") -> int:
    with session_scope() as s:
        return users.create_user(s, name, "password123").id


def _drop_row_behind_its_back(cookie: str) -> None:
    """What another instance's write looks like to this one: the row goes, no notice here."""
    with session_scope() as s:
        s.execute(delete(UserSession).where(UserSession.id == session_id(cookie)))


def test_without_redis_every_check_reads_the_store(storage):
    uid = _user()
    cookie = sessions.start(uid)
    assert sessions.verify(cookie) == uid
    _drop_row_behind_its_back(cookie)
    assert sessions.verify(cookie) is None


def test_verify_uses_the_callers_db_session(storage):
    uid = _user()
    cookie = sessions.start(uid)
    with session_scope() as s:
        assert sessions.verify(cookie, s) == uid
        assert sessions.verify(cookie + "x", s) is None


def test_expiry_is_checked_against_the_clock(storage):
    uid = _user()
    cookie = sessions.start(uid, now=1_000_000)
    assert sessions.verify(cookie, now=1_000_000 + sessions.MAX_AGE - 1) == uid
    assert sessions.verify(cookie, now=1_000_000 + sessions.MAX_AGE) is None


def test_ending_a_users_sessions_waits_for_the_commit(storage):
    uid, other = _user("alice"), _user("bob")
    keep, gone, bobs = sessions.start(uid), sessions.start(uid), sessions.start(other)
    heard: list[str] = []
    bus.subscribe(sessions.BUS_KIND, heard.append)
    with pytest.raises(RuntimeError), session_scope() as s:
        sessions.end_user_sessions(s, uid, keep=keep)
        raise RuntimeError("the caller's write failed")
    assert heard == [] and sessions.verify(gone) == uid  # rolled back: nothing ended, nothing said
    with session_scope() as s:
        sessions.end_user_sessions(s, uid, keep=keep)
        assert heard == []  # not before the commit: another instance could re-read the old row
    assert heard == [f"user:{uid}"]
    assert (sessions.verify(keep), sessions.verify(gone), sessions.verify(bobs)) == (uid, None, other)
    bus._subscribers[sessions.BUS_KIND].remove(heard.append)


def test_with_redis_checks_are_remembered_until_an_ending_is_announced(storage, redis_url):
    uid = _user()
    one, two = sessions.start(uid), sessions.start(uid)
    assert sessions.verify(one) == sessions.verify(two) == uid
    _drop_row_behind_its_back(one)
    _drop_row_behind_its_back(two)
    assert sessions.verify(one) == uid  # remembered: no DB read
    bus.publish(sessions.BUS_KIND, session_id(one))
    assert sessions.verify(one) is None and sessions.verify(two) == uid
    bus.publish(sessions.BUS_KIND, f"user:{uid}")
    assert sessions.verify(two) is None


def test_a_check_racing_an_ending_does_not_remember_it(storage, redis_url, monkeypatch):
    uid = _user()
    cookie = sessions.start(uid)
    read = sessions._read

    def read_then_revoked(sid, session):
        row = read(sid, session)  # the row as it was just before another instance ended it
        bus.publish(sessions.BUS_KIND, f"user:{uid}")  # ...whose notice lands before we cache
        return row

    monkeypatch.setattr(sessions, "_read", read_then_revoked)
    assert sessions.verify(cookie) == uid  # this one check saw the row still there
    monkeypatch.setattr(sessions, "_read", read)
    _drop_row_behind_its_back(cookie)
    assert sessions.verify(cookie) is None  # not remembered: read again, and it is gone


def test_an_ending_announced_by_another_instance_reaches_this_one(sqlite_storage, redis_url):
    from backend.main import create_app

    uid = _user()
    cookie = sessions.start(uid)
    with LiveServer(create_app()):  # start-up runs the bus listener
        assert sessions.verify(cookie) == uid
        _drop_row_behind_its_back(cookie)
        assert sessions.verify(cookie) == uid  # remembered
        client = redis.Redis.from_url(redis_url)
        deadline = time.monotonic() + 20
        while sessions.verify(cookie) is not None and time.monotonic() < deadline:
            # repeated in case the listener's SUBSCRIBE has not reached Redis yet
            client.publish(bus.channel(), orjson.dumps({"o": "another-node", "k": sessions.BUS_KIND,
                                                      "v": session_id(cookie)}))
            time.sleep(0.05)
        client.close()
        assert sessions.verify(cookie) is None


def test_purge_deletes_only_expired_sessions(storage):
    uid = _user()
    sessions.start(uid, now=100)
    live = sessions.start(uid)
    assert sessions.purge_expired() == 1 and sessions.purge_expired() == 0
    assert sessions.verify(live) == uid
    assert sessions._purger.name == "newapi-session-purge"
