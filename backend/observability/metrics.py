"""The gateway's Prometheus metrics, and the cheap calls the relay and the ledger make to move them.

Every call here is on the hot path, so each does a dict lookup for its labelled child (cached here,
skipping prometheus_client's label validation on repeat) and one or two increments. With several
workers the library's multiprocess mode is used (`PROMETHEUS_MULTIPROC_DIR`, set up by
`newapi serve --workers N` and the Makefile, see `multiproc.py`): each increment then writes one
slot of a per-process mmapped file, and `/metrics` sums the files of every worker.

Labels stay bounded: `model` is the client's model name only once a channel was routed for it
(a model some channel serves), otherwise empty, so made-up model names cannot grow the series
without bound; `channel` is a channel id (admin-made); `status` an HTTP status.
"""

from __future__ import annotations

import time
from typing import Any

from prometheus_client import Counter, Gauge, Histogram

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0)

REQUESTS = Counter(
    "newapi_relay_requests", "Relay calls answered, by the model, the channel that answered last, the HTTP "
    "status sent and the client's wire format.", ("model", "channel", "status", "format"))
REQUEST_SECONDS = Histogram(
    "newapi_relay_request_duration_seconds", "Whole relay call: to the reply's end (streams: to the "
    "stream's end).", ("format",), buckets=LATENCY_BUCKETS)
UPSTREAM_SECONDS = Histogram(
    "newapi_relay_upstream_duration_seconds", "Upstream call to its response headers, per channel "
    "(failed answers included).", ("channel",), buckets=LATENCY_BUCKETS)
TOKENS = Counter("newapi_relay_tokens", "Tokens billed, by model and kind (prompt, completion).",
                 ("model", "kind"))
QUOTA = Counter("newapi_relay_quota", "Quota charged for settled calls, by model.", ("model",))
UPSTREAM_ERRORS = Counter("newapi_relay_upstream_errors", "Failed upstream attempts, by channel and status "
                          "(after status_code_mapping).", ("channel", "status"))
RETRIES = Counter("newapi_relay_retries", "Attempts retried on another channel, by the channel that failed.",
                  ("channel",))
STREAMS_IN_FLIGHT = Gauge("newapi_relay_streams_in_flight", "Streams being relayed now.",
                          multiprocess_mode="livesum")
FLUSH_LAG = Gauge(
    "newapi_ledger_flush_lag_seconds", "Age of the oldest counter change the last ledger flush wrote; after a "
    "failed flush, of the oldest change still unwritten.", multiprocess_mode="livemax")
FLUSH_LAST = Gauge("newapi_ledger_last_flush_timestamp_seconds", "When the ledger last wrote its changes.",
                   multiprocess_mode="livemax")
FLUSH_FAILURES = Counter("newapi_ledger_flush_failures", "Ledger flushes the database refused (changes kept).")

_requests: dict[tuple[str, int, int, str], Any] = {}
_request_seconds: dict[str, Any] = {}
_upstream_seconds: dict[int, Any] = {}
_tokens: dict[str, tuple[Any, Any]] = {}
_quota: dict[str, Any] = {}
_upstream_errors: dict[tuple[int, int], Any] = {}
_retries: dict[int, Any] = {}


def request_done(fmt: str, model: str, channel: int | None, status: int, seconds: float | None) -> None:
    """One relay call answered. `seconds` is None for a stream, whose duration `stream_ended` records."""
    key = (model, channel or 0, status, fmt)
    child = _requests.get(key)
    if child is None:
        child = _requests[key] = REQUESTS.labels(model, str(channel or ""), str(status), fmt)
    child.inc()
    if seconds is not None:
        observe_request(fmt, seconds)


def observe_request(fmt: str, seconds: float) -> None:
    child = _request_seconds.get(fmt)
    if child is None:
        child = _request_seconds[fmt] = REQUEST_SECONDS.labels(fmt)
    child.observe(seconds)


def upstream_answered(channel: int, seconds: float) -> None:
    child = _upstream_seconds.get(channel)
    if child is None:
        child = _upstream_seconds[channel] = UPSTREAM_SECONDS.labels(str(channel))
    child.observe(seconds)


def upstream_failed(channel: int, status: int) -> None:
    key = (channel, status)
    child = _upstream_errors.get(key)
    if child is None:
        child = _upstream_errors[key] = UPSTREAM_ERRORS.labels(str(channel), str(status))
    child.inc()


def retried(channel: int) -> None:
    child = _retries.get(channel)
    if child is None:
        child = _retries[channel] = RETRIES.labels(str(channel))
    child.inc()


def consumed(model: str, prompt_tokens: int, completion_tokens: int, quota: int) -> None:
    """A settled call's tokens and quota (billing.settle)."""
    pair = _tokens.get(model)
    if pair is None:
        pair = _tokens[model] = (TOKENS.labels(model, "prompt"), TOKENS.labels(model, "completion"))
    if prompt_tokens:
        pair[0].inc(prompt_tokens)
    if completion_tokens:
        pair[1].inc(completion_tokens)
    if quota:
        child = _quota.get(model)
        if child is None:
            child = _quota[model] = QUOTA.labels(model)
        child.inc(quota)


def stream_started() -> None:
    STREAMS_IN_FLIGHT.inc()


def stream_ended(fmt: str, started_at: float) -> None:
    """`started_at`: the call's `time.time()` at arrival."""
    STREAMS_IN_FLIGHT.dec()
    observe_request(fmt, time.time() - started_at)


def ledger_flushed(oldest: float, ok: bool) -> None:
    """After a ledger flush of changes whose oldest was made at `oldest` (`time.time()`, 0: none)."""
    now = time.time()
    if ok:
        FLUSH_LAST.set(now)
    else:
        FLUSH_FAILURES.inc()
    if oldest or ok:
        FLUSH_LAG.set(max(now - oldest, 0.0) if oldest else 0.0)
