"""`make bench`: the gateway's overhead against a zero-latency upstream, next to calling it directly.

    .venv/bin/python -m bench.run [--quick] [--profile] [--no-reflex]

Steps, each bounded by a request count or a duration (the whole run takes ~2 minutes):
1. start the mock upstream (`bench/mock_upstream.py`) in its own process;
2. start a gateway (`newapi serve`) on a SQLite file in a temp dir and seed it through its
   management API (setup, login, channel pointing at the mock, token), then stop it, so every
   measured gateway boots with the channel already in its caches;
3. run the same phases against the mock directly, through the gateway with 1 and 2 workers, and
   through the Reflex console app as `make run` serves it (the prebuilt `.web`, one port, one
   granian worker; skipped with a notice when `.web` was never built), each phase driven by
   `bench/loadgen.py` in a separate process:
   latency at concurrency 1, throughput at concurrency 64 (auth, billing and consume logs on),
   streamed latency at concurrency 1, and 1,000 concurrent streams;
4. read CPU time and RSS of the gateway's processes from /proc, count the consume logs the
   gateway wrote (every successful call must have one), print a table and write
   `bench/results/latest.json`.
Traffic goes to 127.0.0.1 only.

The scenarios live in modules of their own: `bench/phases.py` (the load phases, run against any
target), `bench/gateway.py` (`newapi serve` and its A/B variants, seeding), `bench/reflex_app.py`
(the console app as `make run` serves it, and the Reflex A/B servers), `bench/measure.py` (one
measured server), `bench/summary.py` (targets and the printed table). This module reads the flags
and runs them in order.
"""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import orjson

from bench import litellm_proxy, procs
from bench.common import FULL, QUICK, RESULTS, STREAM_CHUNK_DELAY_MS, TARGETS, BenchError, Sizes
from bench.gateway import Variant, gateway_env, seed, start_gateway
from bench.measure import measure_gateway
from bench.phases import run_phases
from bench.reflex_app import REFLEX_AB, reflex_build_missing
from bench.summary import print_report, summarize

BUDGET_S = 480  # a hard stop: whatever hangs, the run ends and the finally blocks stop every server
LITELLM_BUDGET_S = 1200  # more when LiteLLM's proxy runs too: it needs ~10-40x the CPU per call


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description="gateway overhead benchmark")
    parser.add_argument("--quick", action="store_true", help="small counts, for checking the harness")
    parser.add_argument("--workers", default="1,2", help="gateway worker counts to measure")
    parser.add_argument(
        "--profile",
        nargs="?",
        const="throughput_c64",
        default=None,
        metavar="PHASE",
        help="py-spy the first worker during PHASE (default the c=64 phase; perturbs that phase's numbers)",
    )
    parser.add_argument("--out", type=Path, default=None, help="default bench/results/latest.json")
    parser.add_argument("--keep", action="store_true", help="keep the temp dir (DBs, server logs)")
    parser.add_argument(
        "--no-reflex",
        action="store_true",
        help="skip the Reflex console app (measured by default when .web is built)",
    )
    parser.add_argument(
        "--reflex-only",
        action="store_true",
        help="measure only the Reflex console app (plus the direct baseline and 1-worker newapi serve)",
    )
    parser.add_argument(
        "--reflex-heap",
        action="store_true",
        help="also the gateway app alone in a worker that loaded the console (bench/reflex_heap_app.py)",
    )
    parser.add_argument(
        "--reflex-ab",
        nargs="?",
        const=",".join(REFLEX_AB),
        default="",
        help=f"also these A/B servers of bench/reflex_heap_app.py (default all: {','.join(REFLEX_AB)})",
    )
    parser.add_argument(
        "--upstream",
        choices=("shipped", "aiohttp"),
        default="shipped",
        help="the relay's upstream client: as shipped, or bench/aiohttp_upstream.py swapped in (A/B)",
    )
    parser.add_argument(
        "--loop",
        choices=("auto", "asyncio", "uvloop", "rloop"),
        default="auto",
        help="granian's event loop (uvloop needs BENCH_EXTRA_PYTHONPATH, see gateway_app.py)",
    )
    parser.add_argument(
        "--task-impl", choices=("asyncio", "rust"), default="asyncio", help="granian's task impl"
    )
    parser.add_argument(
        "--preload", action="store_true", help="load app and tokenizers before granian forks (shared pages)"
    )
    parser.add_argument(
        "--backpressure",
        type=int,
        default=None,
        help="granian's connections-per-worker cap (newapi serve option)",
    )
    parser.add_argument(
        "--litellm",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="LiteLLM's proxy side by side (default: in a full stock run; installs into bench/.litellm-venv)",
    )
    parser.add_argument(
        "--fast-path",
        action="store_true",
        help="chat completions straight to the pipeline, past FastAPI's router",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    variant = Variant(
        args.upstream, args.loop, args.task_impl, args.preload, args.fast_path, args.backpressure
    )
    sizes = QUICK if args.quick else FULL
    reflex_skip = _reflex_skip(args, variant)
    if reflex_skip:
        print(f"Reflex console app: skipped ({reflex_skip})", flush=True)
    litellm_skip = _litellm_skip(args, variant)  # installs the proxy first, outside the time budget
    if litellm_skip:
        print(f"LiteLLM proxy: skipped ({litellm_skip})", flush=True)
    signal.signal(signal.SIGALRM, _over_budget)
    signal.alarm(BUDGET_S + (0 if litellm_skip else LITELLM_BUDGET_S))
    started = time.time()
    load_before = os.getloadavg()
    commit = _git_head()  # what the gateway runs is the work tree at start: note uncommitted edits too
    direct, gateways, reflex, extra, litellm = run_scenarios(args, variant, sizes, reflex_skip, litellm_skip)
    summary = summarize(direct, gateways)
    print_report(direct, gateways, summary, reflex, extra)
    one = min(gateways, key=lambda g: g["workers"])
    versus = litellm_proxy.compare(direct, one, litellm) if litellm else None
    if versus:
        litellm_proxy.print_comparison(versus)
    report = {
        "command": "python -m bench.run " + " ".join(argv if argv is not None else sys.argv[1:]),
        "variant": variant.__dict__ | {"name": variant.name},
        "finished_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "duration_s": round(time.time() - started, 1),
        "git_commit": commit,
        "uncommitted_backend_files": _git_dirty("backend"),
        "machine": {**procs.machine(), "loadavg_before": load_before, "loadavg_after": os.getloadavg()},
        "sizes": sizes.__dict__,
        "stream_chunk_delay_ms": STREAM_CHUNK_DELAY_MS,
        "targets": TARGETS,
        "summary": summary,
        "direct": direct,
        "gateways": gateways,
        "reflex": reflex,
        "reflex_skipped": reflex_skip,
        "reflex_heap": next((g for g in extra if g["server"] == "reflex-heap"), None),
        "reflex_ab": extra,
        "litellm": litellm,
        "litellm_skipped": litellm_skip,
        "litellm_vs_newapi_1w": versus,
    }
    _write(report, args.out or RESULTS / _default_name(args.quick, variant))
    return 0


def _reflex_skip(args: argparse.Namespace, variant: Variant) -> str | None:
    """Why the Reflex console app is not measured, or None. It serves the shipped gateway only; A/B
    knobs apply to `newapi serve`."""
    if args.no_reflex:
        return "--no-reflex"
    return "not with an A/B variant" if variant.name != "stock" else reflex_build_missing()


def _litellm_skip(args: argparse.Namespace, variant: Variant) -> str | None:
    """Why LiteLLM's proxy is not measured, or None (after installing it when needed)."""
    if args.litellm is False:
        return "--no-litellm"
    if args.litellm is None and (args.quick or args.reflex_only or variant.name != "stock"):
        return "only in a full stock run unless --litellm"
    return litellm_proxy.ensure_installed()


def _default_name(quick: bool, variant: Variant) -> str:
    name = "quick.json" if quick else "latest.json"
    return name.replace(".json", f"-{variant.name}.json") if variant.name != "stock" else name


def _over_budget(_sig: int, _frame: Any) -> None:
    raise BenchError("benchmark exceeded its time budget")


def _write(report: dict[str, Any], out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(orjson.dumps(report, option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS))
    shown = out.resolve().relative_to(procs.ROOT) if out.resolve().is_relative_to(procs.ROOT) else out
    print(f"\nwrote {shown} in {report['duration_s']} s")


def run_scenarios(
    args: argparse.Namespace, variant: Variant, sizes: Sizes, reflex_skip: str | None, litellm_skip: str | None
) -> tuple[
    dict[str, Any], list[dict[str, Any]], dict[str, Any] | None, list[dict[str, Any]], dict[str, Any] | None
]:
    """The mock, a seeded database, then each scenario in turn: direct to the mock, `newapi serve`
    per worker count, the Reflex app, the Reflex A/B servers, LiteLLM's proxy. Stops the mock and the
    alarm at the end."""
    ab = [n for n in args.reflex_ab.split(",") if n] or (["reflex-heap"] if args.reflex_heap else [])
    unknown = set(ab) - set(REFLEX_AB)
    worker_counts = [1] if args.reflex_only else [int(w) for w in args.workers.split(",")]
    tmp = Path(tempfile.mkdtemp(prefix="newapi-bench-"))
    secret = secrets.token_urlsafe(32)
    mock, mock_port = procs.start_mock(log=tmp / "mock.log")
    try:
        seed_db = tmp / "seed.db"
        gw, port = start_gateway(1, gateway_env(seed_db, secret), tmp / "seed.log")
        try:
            key = seed(port, mock_port)
        finally:
            procs.stop(gw, timeout=30)
        print(f"seeded gateway in {tmp} (channel -> mock on :{mock_port})", flush=True)

        print("direct to the mock:", flush=True)
        direct = run_phases(
            f"http://127.0.0.1:{mock_port}/v1/chat/completions",
            {"Authorization": "Bearer sk-mock-upstream"},
            sizes,
            mock_port,
            None,
            mock.pid,
        )
        profile_dir = RESULTS / "profile" / variant.name if args.profile else None

        def measure(workers: int, server: str = "serve") -> dict[str, Any]:
            return measure_gateway(
                workers, seed_db, tmp, secret, key, mock_port, mock.pid, sizes, profile_dir, variant, server,
                args.profile or "throughput_c64",
            )

        gateways = [measure(w) for w in worker_counts]
        reflex = measure(1, "reflex") if not reflex_skip else None
        if unknown:
            raise BenchError(f"unknown --reflex-ab server(s): {sorted(unknown)}")
        extra = [measure(1, name) for name in (ab if not reflex_skip else [])]
        litellm = None
        if not litellm_skip:
            try:
                litellm = litellm_proxy.measure(tmp, mock_port, mock.pid, sizes)
            except (BenchError, OSError, RuntimeError, subprocess.TimeoutExpired) as exc:  # keep the rest
                print(f"LiteLLM proxy: failed ({exc})", flush=True)
    finally:
        procs.stop(mock)
        signal.alarm(0)
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)
    return direct, gateways, reflex, extra, litellm


def _git_dirty(path: str) -> int:
    try:
        out = subprocess.run(
            ["git", "status", "--short", "--", path],
            cwd=procs.ROOT,
            capture_output=True,
            text=True,
            timeout=5,
        ).stdout
    except (OSError, subprocess.TimeoutExpired):
        return -1
    return len(out.splitlines())


def _git_head() -> str:
    try:
        return subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=procs.ROOT, capture_output=True, text=True, timeout=5
        ).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        return ""


if __name__ == "__main__":
    sys.exit(main())
