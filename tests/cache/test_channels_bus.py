"""Another gateway instance's channel write reaches this one through Redis pub/sub."""

from __future__ import annotations

import orjson
import redis

from backend.cache import bus
from backend.cache import channels as cache
from backend.config import reset_settings
from backend.db import session_scope
from backend.models import Channel
from backend.services import abilities
from tests.conftest import LiveServer
from tests.support import wait_until


def test_remote_publish_reloads_the_snapshot(sqlite_storage, redis_url):
    from backend.main import create_app

    with LiveServer(create_app()):  # start-up runs: snapshot loaded, bus listener subscribed
        assert cache.pick("default", "gpt-4o") is None
        with session_scope() as s:  # what another node's write leaves in the shared DB
            row = Channel(name="remote", type=1, key="k", models="gpt-4o", group="default", status=1)
            s.add(row)
            abilities.rebuild(s, row)
        assert cache.pick("default", "gpt-4o") is None  # pick reads memory only
        client = redis.Redis.from_url(redis_url)

        def reloaded() -> bool:
            if cache.pick("default", "gpt-4o") is not None:
                return True
            # published on every poll, in case the listener's SUBSCRIBE has not reached Redis yet
            client.publish(bus.channel(), orjson.dumps({"o": "another-node", "k": "channels", "v": ""}))
            return False

        wait_until(reloaded, "the remote change to reload the snapshot", 20, interval=0.05)
        client.close()
        picked = cache.pick("default", "gpt-4o")
    assert picked is not None and picked.name == "remote"


def test_a_gateway_on_another_redis_database_is_not_heard(sqlite_storage, redis_url, monkeypatch):
    """Redis pub/sub ignores the database number: the bus channel carries it, so two deployments on
    one Redis server (databases 15 and 14 here) do not act on each other's notices."""
    from backend.main import create_app

    heard: list[str] = []
    bus.subscribe("probe", heard.append)
    with LiveServer(create_app()):
        mine = bus.channel()
        root, _, db = redis_url.rpartition("/")
        neighbour_url = f"{root}/{int(db) - 1 if int(db) > 0 else 1}"
        monkeypatch.setenv("REDIS_CONN_STRING", neighbour_url)
        reset_settings()  # the neighbour's settings, for its channel name
        theirs = bus.channel()
        monkeypatch.setenv("REDIS_CONN_STRING", redis_url)
        reset_settings()
        assert theirs != mine and bus.channel() == mine
        client = redis.Redis.from_url(redis_url)

        def heard_mine() -> bool:
            client.publish(theirs, orjson.dumps({"o": "neighbour", "k": "probe", "v": "theirs"}))
            client.publish(mine, orjson.dumps({"o": "another-node", "k": "probe", "v": "mine"}))
            return "mine" in heard

        try:
            wait_until(heard_mine, "this database's notice", 20, interval=0.05)
        finally:
            client.close()
            bus._subscribers["probe"].remove(heard.append)
    assert "theirs" not in heard
