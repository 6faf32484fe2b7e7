"""`/metrics` through the live gateway: each counter moves by exactly the calls made (a success, an
upstream error retried on another channel, a failure), streams in flight, the ledger's flush, and
the METRICS_TOKEN guard."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import openai
import pytest
from metrics_scrape import moved, scrape, value

from backend.config import reset_settings
from backend.models.usage import Usage
from tests.fakes import openai_wire as ow
from tests.relay.relay_seed import (
    RelayEnv,
    expected_quota,
    flush,
    make_channel,
    make_key,
    relay_env,
    set_option,
    wait_until,
)

MESSAGES = [{"role": "user", "content": "Say hello"}]
FMT = "openai_chat"


@pytest.fixture
def env(sqlite_storage) -> Iterator[RelayEnv]:
    with relay_env() as e:
        yield e


def test_success_retry_and_failure_move_each_counter_by_exactly_the_calls(env: RelayEnv) -> None:
    set_option("RetryTimes", "1")
    failing = make_channel(env.fake.url, "gpt-4o,gpt-4o-mini", key="sk-broken", priority=10)
    working = make_channel(env.fake.url, "gpt-4o", key="sk-fine", priority=0)
    env.fake.fail_keys["sk-broken"] = 500
    user, _token, key = make_key()
    client = env.openai(key)
    before = scrape(env.url)

    for _ in range(2):  # channel `failing` answers 500, the retry lands on `working`
        client.chat.completions.create(model="gpt-4o", messages=MESSAGES)
    with pytest.raises(openai.InternalServerError):  # only `failing` serves it: tried, retried on it, failed
        client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    with pytest.raises(openai.AuthenticationError):  # refused before any routing: no model named
        env.openai("sk-nope").chat.completions.create(model="gpt-4o", messages=MESSAGES)
    after = scrape(env.url)

    requests = "newapi_relay_requests_total"
    assert moved(before, after, requests, model="gpt-4o", channel=str(working), status="200", format=FMT) == 2
    assert moved(before, after, requests, model="gpt-4o-mini", channel=str(failing), status="500",
                 format=FMT) == 1
    assert moved(before, after, requests, model="", channel="", status="401", format=FMT) == 1
    errors = "newapi_relay_upstream_errors_total"
    assert moved(before, after, errors, channel=str(failing), status="500") == 4
    assert moved(before, after, errors, channel=str(working), status="500") == 0
    assert moved(before, after, "newapi_relay_retries_total", channel=str(failing)) == 3
    assert moved(before, after, "newapi_relay_retries_total", channel=str(working)) == 0
    upstream = "newapi_relay_upstream_duration_seconds_count"
    assert moved(before, after, upstream, channel=str(failing)) == 4
    assert moved(before, after, upstream, channel=str(working)) == 2
    assert moved(before, after, "newapi_relay_request_duration_seconds_count", format=FMT) == 4
    tokens = "newapi_relay_tokens_total"
    assert moved(before, after, tokens, model="gpt-4o", kind="prompt") == 2 * ow.PROMPT_TOKENS
    assert moved(before, after, tokens, model="gpt-4o", kind="completion") == 2 * ow.COMPLETION_TOKENS
    assert moved(before, after, tokens, model="gpt-4o-mini", kind="prompt") == 0
    quota = expected_quota(user, "gpt-4o", Usage(ow.PROMPT_TOKENS, ow.COMPLETION_TOKENS))
    assert quota > 0
    assert moved(before, after, "newapi_relay_quota_total", model="gpt-4o") == 2 * quota


def test_made_up_model_names_do_not_become_series(env: RelayEnv) -> None:
    make_channel(env.fake.url, "gpt-4o")
    _user, _token, key = make_key()
    with pytest.raises(openai.APIStatusError):
        env.openai(key).chat.completions.create(model="no-such-model-x1", messages=MESSAGES)
    text = httpx.get(env.url + "/metrics").text
    assert "no-such-model-x1" not in text


def test_streams_in_flight_rise_and_fall(env: RelayEnv) -> None:
    make_channel(env.fake.url, "gpt-4o", model_mapping={"gpt-4o": "hang-stream"})  # one chunk, then nothing
    _user, _token, key = make_key()
    gauge = "newapi_relay_streams_in_flight"
    base = value(scrape(env.url), gauge)
    before = scrape(env.url)
    body = {"model": "gpt-4o", "messages": MESSAGES, "stream": True}
    with httpx.stream("POST", env.url + "/v1/chat/completions", json=body, timeout=60,
                      headers={"Authorization": f"Bearer {key}"}) as resp:
        lines = resp.iter_lines()  # held: dropping the iterator would close the response
        assert next(line for line in lines if line).startswith("data: ")
        assert value(scrape(env.url), gauge) == base + 1
    wait_until(lambda: value(scrape(env.url), gauge) == base, "the abandoned stream to end")
    after = scrape(env.url)
    assert moved(before, after, "newapi_relay_request_duration_seconds_count", format=FMT) == 1
    assert moved(before, after, "newapi_relay_requests_total", model="gpt-4o", channel="1", status="200",
                 format=FMT) == 1


def test_ledger_flush_is_timed(env: RelayEnv) -> None:
    make_channel(env.fake.url, "gpt-4o")
    _user, _token, key = make_key()
    env.openai(key).chat.completions.create(model="gpt-4o", messages=MESSAGES)
    before = scrape(env.url)
    flush()
    after = scrape(env.url)
    assert value(after, "newapi_ledger_last_flush_timestamp_seconds") > value(
        before, "newapi_ledger_last_flush_timestamp_seconds")
    assert value(after, "newapi_ledger_flush_lag_seconds") >= 0


def test_metrics_token_is_required_when_set(env: RelayEnv, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("METRICS_TOKEN", "s3cret-metrics")
    reset_settings()
    try:
        assert httpx.get(env.url + "/metrics").status_code == 401
        wrong = httpx.get(env.url + "/metrics", headers={"Authorization": "Bearer s3cret-metricz"})
        assert wrong.status_code == 401 and "s3cret" not in wrong.text
        assert httpx.get(env.url + "/metrics", headers={"Authorization": "Basic s3cret-metrics"}).status_code == 401
        assert "newapi_relay_requests" in httpx.get(
            env.url + "/metrics", headers={"Authorization": "Bearer s3cret-metrics"}).text
    finally:
        monkeypatch.delenv("METRICS_TOKEN")
        reset_settings()
    assert httpx.get(env.url + "/metrics").status_code == 200
