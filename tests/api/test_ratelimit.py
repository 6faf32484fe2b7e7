import pytest
from mgmt_helpers import app_client, refused

from backend import lifecycle
from backend.config import reset_settings
from backend.services import ratelimit


@pytest.fixture
def limits(monkeypatch):
    def set_limits(**env: str) -> None:
        for k, v in env.items():
            monkeypatch.setenv(k, v)
        reset_settings()
        lifecycle.reset_process_state()

    yield set_limits
    reset_settings()


def test_global_api_limit_returns_429(sqlite_storage, limits):
    limits(GLOBAL_API_RATE_LIMIT_ENABLE="true", GLOBAL_API_RATE_LIMIT="3", GLOBAL_API_RATE_LIMIT_DURATION="60")
    c = app_client()
    for _ in range(3):
        assert c.get("/api/status").status_code == 200
    assert "too many" in refused(c.get("/api/notice"), 429)


def test_critical_limit_on_login_and_register(sqlite_storage, limits):
    limits(CRITICAL_RATE_LIMIT_ENABLE="true", CRITICAL_RATE_LIMIT="2", CRITICAL_RATE_LIMIT_DURATION="600")
    c = app_client()
    for _ in range(2):
        assert c.post("/api/user/login", json={"username": "x", "password": "y" * 8}).status_code == 400
    refused(c.post("/api/user/login", json={"username": "x", "password": "y" * 8}), 429)
    refused(c.post("/api/user/register", json={"username": "x", "password": "y" * 8}), 429)
    assert c.get("/api/status").status_code == 200  # other routes are not under the critical limit


def test_sliding_window_in_memory(sqlite_storage):
    assert ratelimit.allow("T", "1.2.3.4", 2, 10, now=100.0)
    assert ratelimit.allow("T", "1.2.3.4", 2, 10, now=101.0)
    assert not ratelimit.allow("T", "1.2.3.4", 2, 10, now=105.0)
    assert ratelimit.allow("T", "5.6.7.8", 2, 10, now=105.0)  # per IP
    assert ratelimit.allow("T", "1.2.3.4", 2, 10, now=110.5)  # the first hit left the window
    assert not ratelimit.allow("T", "1.2.3.4", 2, 10, now=110.6)


def test_sliding_window_in_redis_is_shared(sqlite_storage, redis_url):
    import redis

    assert ratelimit.allow("T", "9.9.9.9", 2, 10, now=100.0)
    assert ratelimit.allow("T", "9.9.9.9", 2, 10, now=101.0)
    lifecycle.reset_process_state()  # another process: no memory, same Redis
    assert not ratelimit.allow("T", "9.9.9.9", 2, 10, now=102.0)
    assert redis.Redis.from_url(redis_url).exists("rateLimit:T9.9.9.9")
    assert ratelimit.allow("T", "9.9.9.9", 2, 10, now=111.5)
