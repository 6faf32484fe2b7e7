"""Pool sizing from new-api's SQL_MAX_* variables: the process's totals split between the console's
pool and the relay's own, each engine built to its share."""

from __future__ import annotations

import pytest

from backend import db
from backend.config import Settings, reset_settings


def sizes(**env: int) -> tuple[db.PoolSize, db.PoolSize]:
    return db.pool_sizes(Settings(**env))  # type: ignore[arg-type]


def test_defaults_give_the_relay_a_pool_as_large_as_its_threads_and_the_console_the_rest() -> None:
    console, relay = sizes(SQL_MAX_OPEN_CONNS=1000, SQL_MAX_IDLE_CONNS=100, SQL_MAX_LIFETIME=60)
    assert relay.open == db._relay_threads() and console.open == 1000 - relay.open
    assert relay.idle + console.idle == 100 and relay.idle <= relay.open
    assert console.lifetime == relay.lifetime == 60


@pytest.mark.parametrize("total", [2, 3, 5, 12, 40, 1000])
def test_totals_are_never_exceeded_and_each_pool_gets_at_least_one(total: int) -> None:
    for idle in (1, total // 3, total):
        console, relay = sizes(SQL_MAX_OPEN_CONNS=total, SQL_MAX_IDLE_CONNS=idle)
        assert console.open + relay.open == max(total, 2)
        assert min(console.open, relay.open, console.idle, relay.idle) >= 1
        assert console.idle <= console.open and relay.idle <= relay.open
        assert relay.open <= max(total, 2) // 2  # the console keeps at least half


def test_no_lifetime_means_no_recycling() -> None:
    assert sizes(SQL_MAX_LIFETIME=0)[0].lifetime == -1


def test_engines_are_built_to_their_share(sqlite_storage, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SQL_MAX_OPEN_CONNS", "10")
    monkeypatch.setenv("SQL_MAX_IDLE_CONNS", "4")
    monkeypatch.setenv("SQL_MAX_LIFETIME", "30")
    reset_settings()
    db.reset_engines()
    console, relay = db.pool_sizes(db.get_settings())
    for engine, share in ((db.get_engine(), console), (db.get_relay_engine(), relay)):
        assert engine.pool.size() == share.idle
        assert engine.pool.timeout() == db.POOL_TIMEOUT_S
        assert engine.pool._recycle == 30
    assert db.get_relay_engine() is not db.get_engine()
    assert db.get_relay_log_engine() is db.get_relay_engine()  # no LOG_SQL_DSN: logs share the relay pool
