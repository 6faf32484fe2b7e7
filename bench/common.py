"""What every benchmark scenario shares: the request bodies, the run sizes, the targets, the error."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"
MODEL = "gpt-4o-mini"
MESSAGES = [{"role": "user", "content": "Say hello"}]
CHAT_BODY = {"model": MODEL, "messages": MESSAGES}
STREAM_BODY = {**CHAT_BODY, "stream": True, "stream_options": {"include_usage": True}}
ROOT_USER, ROOT_PASS = "benchroot", "bench-pass-1234"
STREAM_CHUNK_DELAY_MS = 250  # 12 events -> each stream stays open >= 3 s, so the 1,000 overlap
TARGETS = {"added_p50_ms": 1.0, "added_p99_ms": 3.0, "rps_2_workers": 1500.0, "rss_mb_per_worker": 150.0}


@dataclass(frozen=True)
class Sizes:
    warmup: int
    latency_requests: int
    stream_latency_requests: int
    throughput_seconds: float
    streams: int


FULL = Sizes(
    warmup=300, latency_requests=2000, stream_latency_requests=500, throughput_seconds=8.0, streams=1000
)
QUICK = Sizes(
    warmup=100, latency_requests=300, stream_latency_requests=100, throughput_seconds=2.0, streams=200
)


class BenchError(RuntimeError):
    pass
