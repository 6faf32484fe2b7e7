"""Markdown tables from `bench/run.py` results, for docs/benchmarks.md.

    .venv/bin/python -m bench.report bench/results/latest.json [bench/results/latest-*.json ...]

The first file gets the full table (direct vs each gateway, with ratios); every file gets one
row in the variant comparison; when the first file measured the Reflex console app, a table
of `newapi serve` against it follows. Given `bench/results/upstream_clients.json`, prints that table.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import orjson

ROWS: tuple[tuple[str, str, str, str], ...] = (
    # label, phase, key, format
    ("c=1 latency p50 (ms)", "latency_c1", "p50_ms", "{:.2f}"),
    ("c=1 latency p99 (ms)", "latency_c1", "p99_ms", "{:.2f}"),
    ("c=64 throughput (req/s)", "throughput_c64", "rps", "{:.0f}"),
    ("c=64 latency p50 (ms)", "throughput_c64", "p50_ms", "{:.1f}"),
    ("c=64 latency p99 (ms)", "throughput_c64", "p99_ms", "{:.1f}"),
    ("c=64 errors", "throughput_c64", "errors", "{}"),
    ("server CPU per request, c=1 (ms)", "latency_c1", "server_cpu_ms_per_req", "{:.2f}"),
    ("server CPU per request, c=64 (ms)", "throughput_c64", "server_cpu_ms_per_req", "{:.2f}"),
    ("mock upstream CPU per request, c=64 (ms)", "throughput_c64", "mock_cpu_ms_per_req", "{:.3f}"),
    ("upstream connections opened, c=64 phase", "throughput_c64", "upstream_connections", "{}"),
    ("stream c=1 time to first byte p50 (ms)", "stream_latency_c1", "ttfb_p50_ms", "{:.2f}"),
    ("stream c=1 complete p50 (ms)", "stream_latency_c1", "p50_ms", "{:.2f}"),
    ("server CPU per stream, c=1 (ms)", "stream_latency_c1", "server_cpu_ms_per_req", "{:.2f}"),
    ("1,000 concurrent streams: completed", "streams", "ok", "{}"),
    ("1,000 concurrent streams: errors", "streams", "errors", "{}"),
    ("1,000 concurrent streams: peak open upstream", "streams", "peak_open_upstream_streams", "{}"),
    ("1,000 concurrent streams: upstream connections", "streams", "upstream_connections", "{}"),
    ("1,000 concurrent streams: wall time (s)", "streams", "elapsed_s", "{:.1f}"),
    ("server CPU per stream, 1,000 concurrent (ms)", "streams", "server_cpu_ms_per_req", "{:.2f}"),
)
RATIO_KEYS = {"p50_ms", "p99_ms", "rps"}


def _cell(value: Any, fmt: str) -> str:
    return "–" if value is None else fmt.format(value)


def full_table(r: dict[str, Any]) -> str:
    cols = [("direct", r["direct"])] + [(f"gateway, {g['workers']} worker(s)", g) for g in r["gateways"]]
    head = "| | " + " | ".join(name for name, _ in cols) + " |"
    lines = [head, "|---" * (len(cols) + 1) + "|"]
    for label, phase, key, fmt in ROWS:
        cells = []
        base = r["direct"].get(phase, {}).get(key)
        for i, (_, data) in enumerate(cols):
            v = data.get(phase, {}).get(key)
            text = _cell(v, fmt)
            if i and key in RATIO_KEYS and v is not None and base:
                text += f" (x{v / base:.2f})"
            cells.append(text)
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    mem = []
    for g in r["gateways"]:
        worst = max(g["memory"], key=lambda m: m["peak_rss_mb"])
        boot = max(m["rss_mb"] for m in g["memory_at_start"])
        mem.append(
            f"{worst['peak_rss_mb']:.0f} / {worst['pss_mb']:.0f} / {worst['private_mb']:.0f} (boot RSS {boot:.0f})"
        )
    lines.append("| worker memory: peak RSS / PSS / private (MB) | – | " + " | ".join(mem) + " |")
    logs = [f"{g['consume_logs_written']} / {g['successful_calls']}" for g in r["gateways"]]
    lines.append("| consume logs written / successful calls | – | " + " | ".join(logs) + " |")
    return "\n".join(lines)


def variant_row(r: dict[str, Any], label: str | None = None) -> str:
    s = r["summary"]
    one = min(r["gateways"], key=lambda g: g["workers"])
    name = label or r.get("variant", {}).get("name", "stock")
    rps2 = f"{s['rps_2_workers']:.0f}" if s.get("rps_2_workers") is not None else "–"
    errors = sum(s["streams_errors"].values())
    return (
        f"| {name} | {s['gateway_cpu_ms_per_req_c64']:.2f} | {s['gateway_cpu_ms_per_req_c1']:.2f} | "
        f"{s['gateway_cpu_ms_per_stream_c1']:.2f} | {one['throughput_c64']['rps']:.0f} | {rps2} | "
        f"{s['added_p50_ms']:.2f} | {s['added_p99_ms']:.2f} | {errors} | "
        f"{max(g['streams']['elapsed_s'] for g in r['gateways']):.1f} | "
        f"{s['peak_rss_mb_per_worker_max']:.0f} / {s['private_mb_per_worker_max']:.0f} | "
        f"{r['machine']['loadavg_before'][0]:.1f} |"
    )


def variant_table(results: list[dict[str, Any]], labels: list[str] | None = None) -> str:
    head = (
        "| variant | CPU ms/req c=64 | CPU ms/req c=1 | CPU ms/stream | req/s 1w | req/s 2w | added p50 ms "
        "| added p99 ms | stream errors | slowest 1,000-stream phase s | peak RSS / private MB | load avg |"
    )
    names = labels or [None] * len(results)
    return "\n".join(
        [head, "|---" * 12 + "|", *(variant_row(r, n) for r, n in zip(results, names, strict=True))]
    )


def clients_table(r: dict[str, Any]) -> str:
    """bench/results/upstream_clients.json: one row per path and concurrency."""
    lines = [
        "| path | conc. | httpx req/s | httpx2 req/s | aiohttp req/s | httpx CPU ms | httpx2 CPU ms | aiohttp CPU ms "
        "| req/s aiohttp ÷ httpx | CPU httpx ÷ aiohttp |",
        "|---" * 10 + "|",
    ]
    for row in r["rows"]:
        h, h2, a = row["httpx"], row["httpx2"], row["aiohttp"]
        lines.append(
            f"| {row['path']} | {row['concurrency']} | {h['rps']:.0f} | {h2['rps']:.0f} | {a['rps']:.0f} | "
            f"{h['cpu_ms_per_req']:.3f} | {h2['cpu_ms_per_req']:.3f} | {a['cpu_ms_per_req']:.3f} | "
            f"x{row['rps_ratio_aiohttp_over_httpx']:.1f} | x{row['cpu_ratio_httpx_over_aiohttp']:.1f} |"
        )
    return "\n".join(lines)


REFLEX_ROWS = (
    ("c=1 latency p50 (ms)", "latency_c1", "p50_ms", "{:.2f}"),
    ("c=1 latency p99 (ms)", "latency_c1", "p99_ms", "{:.2f}"),
    ("c=64 throughput (req/s)", "throughput_c64", "rps", "{:.0f}"),
    ("c=64 latency p50 (ms)", "throughput_c64", "p50_ms", "{:.1f}"),
    ("server CPU per request, c=1 (ms)", "latency_c1", "server_cpu_ms_per_req", "{:.2f}"),
    ("server CPU per request, c=64 (ms)", "throughput_c64", "server_cpu_ms_per_req", "{:.2f}"),
    ("stream c=1 time to first byte p50 (ms)", "stream_latency_c1", "ttfb_p50_ms", "{:.2f}"),
    ("stream c=1 complete p50 (ms)", "stream_latency_c1", "p50_ms", "{:.2f}"),
    ("server CPU per stream, c=1 (ms)", "stream_latency_c1", "server_cpu_ms_per_req", "{:.2f}"),
    ("1,000 concurrent streams: completed / errors", "streams", "ok", "{}"),
    ("1,000 concurrent streams: wall time (s)", "streams", "elapsed_s", "{:.1f}"),
    ("server CPU per stream, 1,000 concurrent (ms)", "streams", "server_cpu_ms_per_req", "{:.2f}"),
)


def reflex_table(r: dict[str, Any]) -> str:
    """`newapi serve` with 1 worker against the Reflex console app (1 worker), ratio Reflex ÷ serve."""
    serve = next(g for g in r["gateways"] if g["workers"] == 1)
    rx = r["reflex"]
    lines = ["| | newapi serve, 1 worker | Reflex app (`make run`), 1 worker | Reflex ÷ serve |", "|---|---|---|---|"]
    for label, phase, key, fmt in REFLEX_ROWS:
        a, b = serve[phase][key], rx[phase][key]
        if key == "ok":
            cells = [f"{g[phase]['ok']} / {g[phase]['errors']}" for g in (serve, rx)] + ["–"]
        else:
            cells = [_cell(a, fmt), _cell(b, fmt), f"x{b / a:.2f}" if a and b is not None else "–"]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    mem = []
    for g in (serve, rx):
        m = max(g["memory"], key=lambda x: x["peak_rss_mb"])
        boot = max(x["rss_mb"] for x in g["memory_at_start"])
        mem.append(f"{boot:.0f} / {m['peak_rss_mb']:.0f} / {m['private_mb']:.0f}")
    lines.append("| worker RSS at boot / peak RSS / private at the end (MB) | " + " | ".join(mem) + " | – |")
    logs = [f"{g['consume_logs_written']} / {g['successful_calls']}" for g in (serve, rx)]
    lines.append("| consume logs written / successful calls | " + " | ".join(logs) + " | – |")
    return "\n".join(lines)


def main(argv: list[str]) -> None:
    results = [orjson.loads(Path(p).read_bytes()) for p in argv]
    if "rows" in results[0]:
        print(f"{results[0]['finished_at']}, versions {results[0]['versions']}\n")
        print(clients_table(results[0]))
        return
    first = results[0]
    m = first["machine"]
    print(
        f"commit {first['git_commit']}, {first['finished_at']}, {m['nproc']} CPUs ({m['cpu_model']}), "
        f"load average {m['loadavg_before'][0]:.1f} before / {m['loadavg_after'][0]:.1f} after\n"
    )
    print(full_table(first))
    print()
    print(variant_table(results))
    if first.get("reflex"):
        print()
        print(reflex_table(first))


if __name__ == "__main__":
    main(sys.argv[1:])
