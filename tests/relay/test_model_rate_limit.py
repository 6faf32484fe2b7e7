"""new-api's per-user model request limit (ModelRequestRateLimit*): the limiter in memory and in
Redis (two instances sharing one count), the options, and the relay's 429 over HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
import redis
import redis.asyncio as aioredis

from backend.services import model_ratelimit
from backend.services.errors import ServiceError
from backend.services.model_ratelimit import Limits, MemoryLimiter, RedisLimiter, Refusal, Ticket
from tests.relay.relay_seed import (
    RelayEnv,
    flush,
    make_channel,
    make_key,
    relay_env,
    set_option,
    user_row,
)

MINUTE = Limits(duration=60, total=0, success=3, minutes=1)
T0 = 1_000_000.0


@pytest.fixture(params=["memory", "redis"])
async def limiters(request: pytest.FixtureRequest, redis_url: str) -> AsyncIterator[tuple]:
    """Two limiter instances as two gateway nodes would have them: separate memories, or separate
    connections to one Redis."""
    if request.param == "memory":
        yield MemoryLimiter(), None
        return
    a, b = aioredis.Redis.from_url(redis_url), aioredis.Redis.from_url(redis_url)
    yield RedisLimiter(a), RedisLimiter(b)
    await a.aclose()
    await b.aclose()


async def admitted(limiter, user: int = 1, limits: Limits = MINUTE, now: float = T0) -> Ticket:
    verdict = await limiter.admit(user, limits, now)
    assert isinstance(verdict, Ticket), verdict
    return verdict


async def refused(limiter, user: int = 1, limits: Limits = MINUTE, now: float = T0) -> Refusal:
    verdict = await limiter.admit(user, limits, now)
    assert isinstance(verdict, Refusal), verdict
    return verdict


async def test_success_limit_slides_and_says_when_to_retry(limiters) -> None:
    limiter, _ = limiters
    for i in range(3):
        await (await admitted(limiter, now=T0 + i)).finish(True, now=T0 + i)
    refusal = await refused(limiter, now=T0 + 10)
    assert "at most 3 requests in 1 minute" in refusal.message
    assert refusal.retry_after == 50  # the first success leaves the window at T0 + 60
    await admitted(limiter, user=2, now=T0 + 10)  # per user
    await admitted(limiter, now=T0 + 60)  # the window slid


async def test_failures_count_toward_count_but_not_success_count(limiters) -> None:
    limiter, _ = limiters
    limits = Limits(duration=60, total=4, success=2, minutes=1)
    for _ in range(3):
        await (await admitted(limiter, limits=limits)).finish(False)
    await (await admitted(limiter, limits=limits)).finish(True)  # 3 failures left the success count alone
    refusal = await refused(limiter, limits=limits, now=T0 + 5)  # but the fifth request of any kind is over Count
    assert "failed ones included" in refusal.message and refusal.retry_after == 55


async def test_requests_in_flight_hold_their_success_slot(limiters) -> None:
    limiter, _ = limiters
    tickets = [await admitted(limiter) for _ in range(3)]  # three concurrent calls, none finished
    await refused(limiter)  # a burst cannot slip past the limit
    await tickets[0].finish(False)  # a failure frees its slot
    await admitted(limiter)
    await tickets[1].finish(True)
    await tickets[1].finish(True)  # recording twice is a no-op
    await refused(limiter)


async def test_no_limit_when_counts_are_zero(limiters) -> None:
    limiter, _ = limiters
    for _ in range(20):
        await (await admitted(limiter, limits=Limits(60, total=0, success=0, minutes=1))).finish(True)


async def test_two_redis_instances_share_the_count(limiters) -> None:
    first, second = limiters
    if second is None:
        pytest.skip("memory limiters are per process by design")
    await (await admitted(first)).finish(True)
    await (await admitted(second)).finish(True)
    in_flight = await admitted(first)
    await refused(second)  # two successes and one call in flight on the other node
    await in_flight.finish(False)
    await (await admitted(second)).finish(True)
    await refused(first)


def test_options_and_group_override(storage) -> None:
    assert model_ratelimit.limits_for("default") is None  # off by default
    set_option("ModelRequestRateLimitEnabled", "true")
    assert model_ratelimit.limits_for("default") == Limits(duration=60, total=0, success=1000, minutes=1)
    set_option("ModelRequestRateLimitDurationMinutes", "5")
    set_option("ModelRequestRateLimitCount", "100")
    set_option("ModelRequestRateLimitSuccessCount", "10")
    set_option("ModelRequestRateLimitGroup", '{"vip": [0, 50]}')
    assert model_ratelimit.limits_for("default") == Limits(duration=300, total=100, success=10, minutes=5)
    assert model_ratelimit.limits_for("vip") == Limits(duration=300, total=0, success=50, minutes=5)
    for bad in ('{"vip": [1]}', '{"vip": [-1, 5]}', '{"vip": [1, 0]}', '{"vip": "x"}', "[]"):
        with pytest.raises(ServiceError):
            set_option("ModelRequestRateLimitGroup", bad)


# ---- over HTTP -------------------------------------------------------------------------------


@pytest.fixture
def env(sqlite_storage) -> Iterator[RelayEnv]:
    with relay_env() as e:
        yield e


def post(env: RelayEnv, key: str, model: str = "gpt-4o") -> httpx.Response:
    return httpx.post(env.url + "/v1/chat/completions", timeout=60, headers={"Authorization": f"Bearer {key}"},
                      json={"model": model, "messages": [{"role": "user", "content": "hi"}]})


def limit_successes(count: int, groups: str = "{}") -> None:
    set_option("ModelRequestRateLimitEnabled", "true")
    set_option("ModelRequestRateLimitSuccessCount", str(count))
    set_option("ModelRequestRateLimitGroup", groups)


def assert_429(resp: httpx.Response) -> dict:
    assert resp.status_code == 429, resp.text
    assert 1 <= int(resp.headers["Retry-After"]) <= 60
    err = resp.json()["error"]
    assert set(err) == {"message", "type", "param", "code"} and err["code"] == "rate_limit_exceeded"
    assert "request id" in err["message"]
    return err


def test_fourth_success_in_a_minute_is_429_and_free(env: RelayEnv) -> None:
    make_channel(env.fake.url, "gpt-4o")
    limit_successes(3)
    user, _, key = make_key(quota=10_000_000)
    assert [post(env, key).status_code for _ in range(3)] == [200, 200, 200]
    flush()
    quota, calls = user_row(user.id).quota, len(env.fake.requests)
    assert "at most 3 requests" in assert_429(post(env, key))["message"]
    flush()
    assert user_row(user.id).quota == quota and len(env.fake.requests) == calls  # never priced nor sent
    _, _, other = make_key()
    assert post(env, other).status_code == 200  # another user has a count of their own


def test_failures_do_not_use_up_success_count_but_do_count(env: RelayEnv) -> None:
    make_channel(env.fake.url, "gpt-4o,fail-500")
    limit_successes(1)
    set_option("ModelRequestRateLimitCount", "3")
    _, _, key = make_key()
    assert post(env, key, "fail-500").status_code == 500
    assert post(env, key).status_code == 200  # the failure took no success slot
    assert "at most 1 requests" in assert_429(post(env, key))["message"]  # the success slot is used
    assert "failed ones included" in assert_429(post(env, key, "fail-500"))["message"]  # 3 counted already


def test_group_override(env: RelayEnv) -> None:
    make_channel(env.fake.url, "gpt-4o", group="default,vip")
    set_option("GroupRatio", '{"default": 1, "vip": 1}')
    limit_successes(5, '{"vip": [0, 1]}')
    _, _, vip = make_key(group="vip")
    _, _, plain = make_key()
    assert post(env, vip).status_code == 200
    assert_429(post(env, vip))
    assert [post(env, plain).status_code for _ in range(2)] == [200, 200]


def test_redis_mode_over_http(redis_url: str, sqlite_storage) -> None:
    with relay_env() as env:
        make_channel(env.fake.url, "gpt-4o")
        limit_successes(2)
        user, _, key = make_key()
        assert [post(env, key).status_code for _ in range(2)] == [200, 200]
        assert_429(post(env, key))
    shared = redis.Redis.from_url(redis_url)
    assert shared.zcard(f"rateLimit:MRRLSZ:{user.id}") == 2  # the count lives in Redis, for every node
    shared.close()
