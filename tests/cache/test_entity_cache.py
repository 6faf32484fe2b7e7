import orjson
import redis

from backend import cache
from backend.cache import bus
from backend.db import session_scope
from backend.models import Token, User
from tests.support import wait_until_async


def _seed() -> tuple[int, str]:
    with session_scope() as s:
        user = User(username="alice", password="x", quota=1000)
        s.add(user)
        s.flush()
        token = Token(user_id=user.id, key="k" * 48, name="t1", remain_quota=50, model_limits="a, b",
                      allow_ips="10.0.0.1\n10.0.0.0/8")
        s.add(token)
        return user.id, token.key


async def test_token_snapshot_and_invalidation(storage):
    uid, key = _seed()
    info = await cache.get_token(key)
    assert info.user_id == uid and info.model_limits == frozenset({"a", "b"})
    assert info.allow_ips == ("10.0.0.1", "10.0.0.0/8")
    with session_scope() as s:
        row = s.get(Token, info.id)
        row.status = 2
        s.add(row)
    assert (await cache.get_token(key)).status == 1  # cached until invalidated
    cache.invalidate_token(key)
    assert (await cache.get_token(key)).status == 2


async def test_unknown_key_is_cached_negatively_until_created(sqlite_storage):
    assert await cache.get_token("n" * 48) is None
    with session_scope() as s:
        s.add(Token(user_id=1, key="n" * 48, name="late"))
    assert await cache.get_token("n" * 48) is None
    cache.invalidate_token("n" * 48)
    assert (await cache.get_token("n" * 48)).name == "late"


async def test_user_snapshot_and_invalidation(storage):
    uid, _ = _seed()
    assert (await cache.get_user(uid)).status == 1
    with session_scope() as s:
        row = s.get(User, uid)
        row.status = 2
        s.add(row)
    cache.invalidate_user(uid)
    assert (await cache.get_user(uid)).status == 2
    assert await cache.get_user(999999) is None


async def test_redis_layer_never_holds_the_raw_key(sqlite_storage, redis_url):
    _, key = _seed()
    assert (await cache.get_token(key)).name == "t1"
    client = redis.Redis.from_url(redis_url)
    keys = client.keys("newapi:token:*")
    assert len(keys) == 1 and key.encode() not in keys[0]
    assert key.encode() not in client.get(keys[0])
    # a second instance (empty memory) is served from Redis, not the DB
    cache._reset()
    with session_scope() as s:
        s.delete(s.get(Token, 1))
    assert (await cache.get_token(key)).name == "t1"


async def test_change_on_another_instance_reaches_this_one_through_redis(sqlite_storage, redis_url):
    from backend import lifecycle

    _, key = _seed()
    await lifecycle.startup()
    try:
        assert (await cache.get_token(key)).status == 1
        with session_scope() as s:
            row = s.get(Token, 1)
            row.status = 2
            s.add(row)
        other = redis.Redis.from_url(redis_url)  # what invalidate_token does on another node
        other.delete(cache._token_redis_key(key))
        other.publish(bus.channel(), orjson.dumps({"o": "another-node", "k": "token", "v": key}))
        await wait_until_async(lambda: key not in cache._tokens, "the remote change to evict the token", 5)
        assert (await cache.get_token(key)).status == 2
    finally:
        await lifecycle.shutdown()
