"""The run's summary against the targets, and the table `bench.run` prints (`bench/report.py` makes
the Markdown tables of docs/benchmarks.md from the JSON)."""

from __future__ import annotations

from typing import Any

from bench.common import TARGETS


def summarize(direct: dict[str, Any], gateways: list[dict[str, Any]]) -> dict[str, Any]:
    one = min(gateways, key=lambda g: g["workers"])  # latency figures: the fewest workers measured
    two = next((g for g in gateways if g["workers"] == 2), None)
    s: dict[str, Any] = {
        "added_p50_ms": one["latency_c1"]["p50_ms"] - direct["latency_c1"]["p50_ms"],
        "added_p99_ms": one["latency_c1"]["p99_ms"] - direct["latency_c1"]["p99_ms"],
        "added_stream_p50_ms": one["stream_latency_c1"]["p50_ms"] - direct["stream_latency_c1"]["p50_ms"],
        "added_stream_ttfb_p50_ms": one["stream_latency_c1"]["ttfb_p50_ms"]
        - direct["stream_latency_c1"]["ttfb_p50_ms"],
        "rps_1_worker": one["throughput_c64"]["rps"],
        "rps_2_workers": two["throughput_c64"]["rps"] if two else None,
        "rps_direct": direct["throughput_c64"]["rps"],
        "gateway_cpu_ms_per_req_c1": one["latency_c1"]["server_cpu_ms_per_req"],
        "gateway_cpu_ms_per_req_c64": one["throughput_c64"]["server_cpu_ms_per_req"],
        "gateway_cpu_ms_per_stream_c1": one["stream_latency_c1"]["server_cpu_ms_per_req"],
        "streams_ok": {g["workers"]: g["streams"]["ok"] for g in gateways},
        "streams_errors": {g["workers"]: g["streams"]["errors"] for g in gateways},
        "rss_mb_per_worker_max": max(m["rss_mb"] for g in gateways for m in g["memory"]),
        "peak_rss_mb_per_worker_max": max(m["peak_rss_mb"] for g in gateways for m in g["memory"]),
        "pss_mb_per_worker_max": max(m["pss_mb"] for g in gateways for m in g["memory"]),
        "private_mb_per_worker_max": max(m["private_mb"] for g in gateways for m in g["memory"]),
        "every_call_logged": all(g["consume_logs_written"] == g["successful_calls"] for g in gateways),
    }
    s["targets"] = {
        "added_p50_ms": s["added_p50_ms"] <= TARGETS["added_p50_ms"],
        "added_p99_ms": s["added_p99_ms"] <= TARGETS["added_p99_ms"],
        "rps_2_workers": bool(two) and s["rps_2_workers"] >= TARGETS["rps_2_workers"],
        "streams_1000_no_error": all(
            g["streams"]["errors"] == 0 and g["streams"]["ok"] >= 1000 for g in gateways
        ),
        "rss_mb_per_worker": s["peak_rss_mb_per_worker_max"] <= TARGETS["rss_mb_per_worker"],
    }
    return s


def _ratio(a: float, b: float) -> str:
    return f"x{a / b:.2f}" if b else "-"


def _col_name(g: dict[str, Any]) -> str:
    server = g.get("server", "serve")
    return f"{server} 1w" if server != "serve" else f"gateway {g['workers']}w"


def print_report(
    direct: dict[str, Any],
    gateways: list[dict[str, Any]],
    s: dict[str, Any],
    reflex: dict[str, Any] | None = None,
    extra: list[dict[str, Any]] | None = None,
) -> None:
    measured = gateways + ([reflex] if reflex else []) + (extra or [])
    cols = [("direct", direct)] + [(_col_name(g), g) for g in measured]
    print()
    print(f"{'':28}" + "".join(f"{name:>16}" for name, _ in cols))

    def row(label: str, phase: str, key: str, fmt: str = "{:.3f}") -> None:
        cells = []
        for _, r in cols:
            v = r.get(phase, {}).get(key)
            cells.append(f"{fmt.format(v) if v is not None else '-':>16}")
        print(f"{label:28}" + "".join(cells))

    row("c=1 p50 ms", "latency_c1", "p50_ms")
    row("c=1 p99 ms", "latency_c1", "p99_ms")
    row("c=64 req/s", "throughput_c64", "rps", "{:.0f}")
    row("c=64 p50 ms", "throughput_c64", "p50_ms")
    row("c=64 p99 ms", "throughput_c64", "p99_ms")
    row("c=64 errors", "throughput_c64", "errors", "{}")
    row("server CPU ms/req c=1", "latency_c1", "server_cpu_ms_per_req")
    row("server CPU ms/req c=64", "throughput_c64", "server_cpu_ms_per_req")
    row("mock CPU ms/req c=64", "throughput_c64", "mock_cpu_ms_per_req")
    row("stream c=1 TTFB p50 ms", "stream_latency_c1", "ttfb_p50_ms")
    row("stream c=1 total p50 ms", "stream_latency_c1", "p50_ms")
    row("server CPU ms/stream", "stream_latency_c1", "server_cpu_ms_per_req")
    row("1000 streams ok", "streams", "ok", "{}")
    row("1000 streams errors", "streams", "errors", "{}")
    row("  peak open upstream", "streams", "peak_open_upstream_streams", "{}")
    row("  wall s", "streams", "elapsed_s", "{:.2f}")
    row("upstream conns c=64 phase", "throughput_c64", "upstream_connections", "{}")
    row("upstream conns 1000 streams", "streams", "upstream_connections", "{}")
    for g in measured:
        rss = ", ".join(
            f"RSS {m['rss_mb']:.0f} MB (peak {m['peak_rss_mb']:.0f}, PSS {m['pss_mb']:.0f}, private "
            f"{m['private_mb']:.0f})"
            for m in g["memory"]
        )
        rss += " at the end; at boot " + ", ".join(f"RSS {m['rss_mb']:.0f} MB" for m in g["memory_at_start"])
        print(
            f"{_col_name(g)} per worker: {rss}; consume logs {g['consume_logs_written']} "
            f"for {g['successful_calls']} successful calls"
        )
    for g in measured:
        for phase in ("latency_c1", "throughput_c64", "stream_latency_c1", "streams"):
            prof = g.get(phase, {}).get("profile")
            if prof:
                layers = ", ".join(f"{k} {v}%" for k, v in prof["layers_pct"].items())
                print(f"{_col_name(g)} {phase} profile ({prof['samples']} CPU samples, {prof['file']}): {layers}")
    print()
    t = s["targets"]

    def mark(ok: bool) -> str:
        return "ok  " if ok else "MISS"

    print(f"[{mark(t['added_p50_ms'])}] added latency p50 {s['added_p50_ms']:.3f} ms (target <= 1 ms)")
    print(f"[{mark(t['added_p99_ms'])}] added latency p99 {s['added_p99_ms']:.3f} ms (target <= 3 ms)")
    if s["rps_2_workers"] is not None:
        print(
            f"[{mark(t['rps_2_workers'])}] {s['rps_2_workers']:.0f} req/s at c=64 with 2 workers "
            f"(target >= 1500; direct {s['rps_direct']:.0f}, {_ratio(s['rps_2_workers'], s['rps_direct'])})"
        )
    print(
        f"[{mark(t['streams_1000_no_error'])}] concurrent streams ok {s['streams_ok']} errors "
        f"{s['streams_errors']}"
    )
    print(
        f"[{mark(t['rss_mb_per_worker'])}] peak RSS per worker {s['peak_rss_mb_per_worker_max']:.0f} MB "
        f"(target <= 150 MB)"
    )
    print(f"[{mark(s['every_call_logged'])}] every successful call wrote a consume log")
    if reflex:
        one = min(gateways, key=lambda g: g["workers"])
        print("through the Reflex app vs newapi serve, both 1 worker (CPU ms per call, ratio):")
        for label, phase in (("c=1", "latency_c1"), ("c=64", "throughput_c64"),
                             ("stream c=1", "stream_latency_c1"), ("1000 streams", "streams")):
            a, b = one[phase]["server_cpu_ms_per_req"], reflex[phase]["server_cpu_ms_per_req"]
            print(f"  {label:13} serve {a:.3f}  reflex {b:.3f}  {_ratio(b, a)}")
        logged = reflex["consume_logs_written"] == reflex["successful_calls"]
        print(f"[{mark(logged)}] Reflex app: every successful call wrote a consume log")
