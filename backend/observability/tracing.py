"""OpenTelemetry traces of relay calls, on only when OTEL_EXPORTER_OTLP_ENDPOINT is set.

A relay call is one span (`relay <format>`, a child of the client's W3C `traceparent` when it sent
one), with the upstream call (`upstream`, whose context goes upstream as `traceparent`) and the
settlement (`settle` / `refund`) as its children. A stream's span ends when the stream does.

Off (the default), nothing of OpenTelemetry is imported or called: `start_request` returns None and
`child(None, ...)` a shared no-op, so the relay's cost is a None check per hook. On, spans go to
the OTLP/HTTP exporter in batches from a background thread (the exporter reads the standard
OTEL_EXPORTER_OTLP_* variables itself; OTEL_SERVICE_NAME names the service, default "newapi").
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, MutableMapping
from types import SimpleNamespace
from typing import Any

from backend import lifecycle
from backend.config import get_settings

log = logging.getLogger("newapi.tracing")

_tracer: Any = None  # an opentelemetry Tracer once set up; None: tracing is off
_provider: Any = None
_otel: Any = None  # the OpenTelemetry API pieces the hooks use, bound by `setup`


class _NoSpan:
    """What `child` gives when tracing is off: a context manager that does nothing."""

    __slots__ = ()

    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


NO_SPAN = _NoSpan()


def setup(exporter: Any = None) -> bool:
    """Start tracing: with `exporter` (tests: an in-memory one, exported at once), or the OTLP/HTTP
    exporter when OTEL_EXPORTER_OTLP_ENDPOINT is set. False (and nothing done) otherwise."""
    global _tracer, _provider, _otel
    settings = get_settings()
    if exporter is None and not settings.OTEL_EXPORTER_OTLP_ENDPOINT:
        return False
    # Imported only here: with tracing off the gateway never loads OpenTelemetry.
    from opentelemetry import propagate, trace
    from opentelemetry.sdk.resources import SERVICE_NAME, Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor

    provider = TracerProvider(resource=Resource.create({SERVICE_NAME: settings.OTEL_SERVICE_NAME or "newapi"}))
    if exporter is not None:
        provider.add_span_processor(SimpleSpanProcessor(exporter))
    else:
        # the OTLP exporter pulls in protobuf: loaded only when traces are sent somewhere
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    if _provider is not None:
        _provider.shutdown()
    _otel = SimpleNamespace(propagate=propagate, set_span_in_context=trace.set_span_in_context,
                            SpanKind=trace.SpanKind, Status=trace.Status, StatusCode=trace.StatusCode)
    _provider, _tracer = provider, provider.get_tracer("newapi.relay")
    return True


def shutdown() -> None:
    """Export what is queued and stop (the batch thread)."""
    global _tracer, _provider
    if _provider is not None:
        _provider.shutdown()
    _provider, _tracer = None, None


def start_request(fmt: str, headers: Mapping[str, str]) -> Any:
    """The span of one relay call (None when tracing is off); `headers` may carry `traceparent`."""
    if _tracer is None:
        return None
    return _tracer.start_span(f"relay {fmt}", context=_otel.propagate.extract(headers), kind=_otel.SpanKind.SERVER,
                              attributes={"newapi.format": fmt})


def child(parent: Any, name: str, **attributes: Any) -> Any:
    """A child span of `parent`, used as `with child(span, "settle"):` (a no-op when `parent` is None)."""
    if parent is None or _tracer is None:
        return NO_SPAN
    kind = _otel.SpanKind.CLIENT if name == "upstream" else _otel.SpanKind.INTERNAL
    return _tracer.start_as_current_span(name, context=_otel.set_span_in_context(parent), kind=kind,
                                         attributes=attributes or None)


def inject(headers: MutableMapping[str, str]) -> None:
    """Put the current span's W3C context (`traceparent`) into the upstream request's headers.
    Call inside `child(..., "upstream")`."""
    if _otel is not None:
        _otel.propagate.inject(headers)


def end_request(span: Any, *, status: int, model: str, channel: int | None, request_id: str) -> None:
    if span is None:
        return
    span.set_attribute("http.response.status_code", status)
    span.set_attribute("newapi.request_id", request_id)
    if model:
        span.set_attribute("gen_ai.request.model", model)
    if channel:
        span.set_attribute("newapi.channel_id", channel)
    if status >= 500:
        span.set_status(_otel.Status(_otel.StatusCode.ERROR))
    span.end()


@lifecycle.on_startup
async def _start() -> None:
    if _tracer is None and setup():
        log.info("OpenTelemetry tracing on: spans go to %s", get_settings().OTEL_EXPORTER_OTLP_ENDPOINT)


@lifecycle.on_shutdown
async def _stop() -> None:
    shutdown()
