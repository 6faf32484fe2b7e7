"""Another gateway instance's channel write reaches this one through Redis pub/sub."""

from __future__ import annotations

import orjson
import redis

from backend.cache import bus
from backend.cache import channels as cache
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
            client.publish(bus.CHANNEL, orjson.dumps({"o": "another-node", "k": "channels", "v": ""}))
            return False

        wait_until(reloaded, "the remote change to reload the snapshot", 20, interval=0.05)
        client.close()
        picked = cache.pick("default", "gpt-4o")
    assert picked is not None and picked.name == "remote"
