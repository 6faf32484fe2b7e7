"""The `newapi` command: `serve` runs the gateway alone on granian, `migrate` applies migrations."""

from __future__ import annotations

import argparse
import os
import sys

# Each command imports what it runs inside its function: `newapi migrate` loads no web server, and
# `serve` must export the metrics directory before anything imports prometheus_client.


def _serve(args: argparse.Namespace) -> None:
    # deferred: see the comment above _serve
    from backend.observability import multiproc

    # Before anything imports prometheus_client: the workers (forked from here) inherit the mode.
    metrics_dir = multiproc.prepare(args.workers)
    if metrics_dir:
        os.environ[multiproc.ENV] = metrics_dir

    # only now: the app's modules (and prometheus_client) see the metrics mode
    from granian import Granian
    from granian.constants import HTTPModes, Interfaces, Loops

    # deferred: see the comment above _serve
    from backend.config import get_settings
    from backend.migrate import migrate

    if get_settings().NODE_TYPE != "slave":
        migrate()
    port = args.port or get_settings().PORT
    Granian(
        "backend.main:create_app",
        factory=True,
        address=args.host,
        port=port,
        interface=Interfaces.ASGI,
        workers=args.workers,
        loop=Loops.auto,
        http=HTTPModes.auto,
        log_access=False,
        backpressure=args.backpressure,
    ).serve()


def _migrate(_args: argparse.Namespace) -> None:
    from backend.migrate import migrate  # deferred: see the comment above _serve

    migrate()
    print("database is at the current schema")


def _metrics_dir(args: argparse.Namespace) -> None:
    """For the Makefile, which starts granian or Reflex itself: prints the directory to export as
    PROMETHEUS_MULTIPROC_DIR (made empty), or nothing for one worker."""
    from backend.observability import multiproc  # deferred: see the comment above _serve

    print(multiproc.prepare(args.workers))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="newapi", description="newapi-py LLM gateway")
    sub = parser.add_subparsers(dest="cmd", required=True)
    serve = sub.add_parser("serve", help="run the gateway (management API + relay) on granian")
    serve.add_argument("--host", default=os.environ.get("HOST", "0.0.0.0"))
    serve.add_argument("--port", type=int, default=0, help="default: PORT or 3000")
    serve.add_argument("--workers", type=int, default=int(os.environ.get("WORKERS", "1")))
    # granian's default caps each worker at 512 connections, idle keep-alive ones included; with
    # 1,000 concurrent streams that queued a few behind others for tens of seconds (docs/benchmarks.md).
    serve.add_argument("--backpressure", type=int, default=int(os.environ.get("BACKPRESSURE", "4096")),
                       help="connections one worker serves at once (default 4096)")
    serve.set_defaults(func=_serve)
    mig = sub.add_parser("migrate", help="create or upgrade the database schema")
    mig.set_defaults(func=_migrate)
    mdir = sub.add_parser("metrics-dir", help="prepare PROMETHEUS_MULTIPROC_DIR for N workers and print it")
    mdir.add_argument("--workers", type=int, default=int(os.environ.get("WORKERS", "1")))
    mdir.set_defaults(func=_metrics_dir)
    args = parser.parse_args(argv)
    args.func(args)


if __name__ == "__main__":
    main(sys.argv[1:])
