"""OpenTelemetry traces of relay calls, captured by an in-memory exporter: one span per call with the
upstream call and the settlement as children, the client's traceparent honoured, the upstream's
traceparent sent; and no tracing at all unless it was set up."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import openai
import pytest
from fastapi import FastAPI, Request, Response
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

from backend.config import reset_settings
from backend.observability import tracing
from tests.conftest import LiveServer
from tests.relay.relay_seed import RelayEnv, make_channel, make_key, relay_env, set_option, wait_until

ROOT = Path(__file__).resolve().parents[2]

MESSAGES = [{"role": "user", "content": "Say hello"}]
CLIENT_TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
CLIENT_PARENT = "00f067aa0ba902b7"


@pytest.fixture
def traced(sqlite_storage) -> Iterator[tuple[RelayEnv, InMemorySpanExporter]]:
    exporter = InMemorySpanExporter()
    with relay_env() as env:
        tracing.setup(exporter)
        try:
            yield env, exporter
        finally:
            tracing.shutdown()


def _by_name(spans: list) -> dict[str, list]:
    out: dict[str, list] = {}
    for s in spans:
        out.setdefault(s.name, []).append(s)
    return out


def test_a_call_is_one_span_with_upstream_and_settlement_children(traced) -> None:
    env, exporter = traced
    channel = make_channel(env.fake.url, "gpt-4o")
    _user, _token, key = make_key()
    env.openai(key).chat.completions.create(
        model="gpt-4o", messages=MESSAGES, extra_headers={"traceparent": f"00-{CLIENT_TRACE}-{CLIENT_PARENT}-01"})
    spans = _by_name(exporter.get_finished_spans())
    [root], [upstream], [settle] = spans["relay openai_chat"], spans["upstream"], spans["settle"]
    assert root.kind == SpanKind.SERVER and upstream.kind == SpanKind.CLIENT
    assert format(root.context.trace_id, "032x") == CLIENT_TRACE  # the client's trace goes on
    assert format(root.parent.span_id, "016x") == CLIENT_PARENT
    for child in (upstream, settle):
        assert child.context.trace_id == root.context.trace_id and child.parent.span_id == root.context.span_id
    assert root.attributes["http.response.status_code"] == 200
    assert root.attributes["gen_ai.request.model"] == "gpt-4o"
    assert root.attributes["newapi.channel_id"] == channel
    assert upstream.attributes["http.response.status_code"] == 200
    # The upstream got the upstream span's context, W3C style.
    sent = env.fake.last.headers["traceparent"]
    assert sent == f"00-{CLIENT_TRACE}-{format(upstream.context.span_id, '016x')}-01"


def test_a_retried_failure_has_an_upstream_span_per_attempt_and_a_refund(traced) -> None:
    env, exporter = traced
    set_option("RetryTimes", "1")
    make_channel(env.fake.url, "gpt-4o", key="sk-broken")
    env.fake.fail_keys["sk-broken"] = 503
    _user, _token, key = make_key()
    with pytest.raises(openai.APIStatusError):
        env.openai(key).chat.completions.create(model="gpt-4o", messages=MESSAGES)
    spans = _by_name(exporter.get_finished_spans())
    [root], [refund] = spans["relay openai_chat"], spans["refund"]
    assert len(spans["upstream"]) == 2 and "settle" not in spans
    assert all(s.attributes["http.response.status_code"] == 503 for s in spans["upstream"])
    assert root.status.status_code == StatusCode.ERROR
    assert refund.parent.span_id == root.context.span_id
    assert len({r.headers["traceparent"] for r in env.fake.requests}) == 2  # one context per attempt


def test_a_stream_span_ends_with_the_stream(traced) -> None:
    env, exporter = traced
    make_channel(env.fake.url, "gpt-4o")
    _user, _token, key = make_key()
    chunks = list(env.openai(key).chat.completions.create(model="gpt-4o", messages=MESSAGES, stream=True))
    assert chunks
    wait_until(lambda: "relay openai_chat" in _by_name(exporter.get_finished_spans()), "the stream's span")
    spans = _by_name(exporter.get_finished_spans())
    [root], [settle] = spans["relay openai_chat"], spans["settle"]
    assert settle.parent.span_id == root.context.span_id and root.end_time >= settle.end_time


def test_off_by_default_nothing_is_traced_or_sent(sqlite_storage, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OTEL_EXPORTER_OTLP_ENDPOINT", raising=False)
    with relay_env() as env:
        assert tracing.start_request("openai_chat", {}) is None
        make_channel(env.fake.url, "gpt-4o")
        _user, _token, key = make_key()
        reply = httpx.post(env.url + "/v1/chat/completions", json={"model": "gpt-4o", "messages": MESSAGES},
                           headers={"Authorization": f"Bearer {key}", "traceparent":
                                    f"00-{CLIENT_TRACE}-{CLIENT_PARENT}-01"})
        assert reply.status_code == 200
        assert "traceparent" not in env.fake.last.headers


def test_the_gateway_alone_never_loads_the_sdk_when_off() -> None:
    """(redis-py loads the SDK's metrics part when it is installed; the tracing part is ours.)"""
    env = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
    code = ("import sys\nfrom backend.main import create_app\ncreate_app()\n"
            "from backend.relay import pipeline\n"
            "print(sorted(m for m in sys.modules if m.startswith(('opentelemetry.sdk.trace', 'opentelemetry.exporter'))))\n")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_spans_reach_an_otlp_collector(sqlite_storage, monkeypatch: pytest.MonkeyPatch) -> None:
    """With OTEL_EXPORTER_OTLP_ENDPOINT set, the gateway exports on its own (OTLP/HTTP protobuf)."""
    received: list[bytes] = []
    collector = FastAPI()

    @collector.post("/v1/traces")
    async def traces(request: Request) -> Response:
        received.append(await request.body())
        return Response(b"", media_type="application/x-protobuf")

    with LiveServer(collector) as otlp:
        monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", otlp.url)
        monkeypatch.setenv("OTEL_SERVICE_NAME", "newapi-test")
        reset_settings()
        with relay_env() as env:  # its start-up turns tracing on, its shutdown exports what is queued
            make_channel(env.fake.url, "gpt-4o")
            _user, _token, key = make_key()
            env.openai(key).chat.completions.create(model="gpt-4o", messages=MESSAGES)
        wait_until(lambda: received, "an OTLP export")
    names, services = set(), set()
    for body in received:
        export = ExportTraceServiceRequest.FromString(body)
        for rs in export.resource_spans:
            services |= {a.value.string_value for a in rs.resource.attributes if a.key == "service.name"}
            names |= {s.name for ss in rs.scope_spans for s in ss.spans}
    assert {"relay openai_chat", "upstream", "settle"} <= names
    assert services == {"newapi-test"}
    monkeypatch.delenv("OTEL_EXPORTER_OTLP_ENDPOINT")
    reset_settings()
