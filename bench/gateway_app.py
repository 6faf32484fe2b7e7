"""The gateway served like `newapi serve`, with one knob changed, for A/B benchmark runs.

    python -m bench.gateway_app --port 3000 --workers 2 --upstream aiohttp --loop uvloop

The app, settings, migration and granian options are those of `backend/cli.py`. What can differ:
`--upstream aiohttp` swaps the relay's upstream client through `set_client_factory` (made in each
worker before its start-up hooks run); `--loop` and `--task-impl` are granian's own options;
`--preload` imports the app and loads the tokenizers in granian's main process before it forks. The
uvloop variant needs uvloop importable (e.g. `pip install --target DIR uvloop` and
`BENCH_EXTRA_PYTHONPATH=DIR`), since it is not a project dependency.
"""

from __future__ import annotations

import argparse
import os

from fastapi import FastAPI


def create_app() -> FastAPI:
    from backend.main import create_app as gateway_app

    if os.environ.get("BENCH_UPSTREAM_CLIENT") == "aiohttp":
        from backend.relay import upstream
        from bench.aiohttp_upstream import AiohttpUpstream

        upstream.set_client_factory(AiohttpUpstream)
    return gateway_app()


def preload() -> None:
    """Granian forks its workers from this process: what is loaded here is shared copy-on-write
    instead of loaded again by each worker (the BPE tables are most of a worker's memory)."""
    import backend.main  # noqa: F401
    from backend.relay import token_counter

    for model in ("gpt-4o-mini", "gpt-4"):  # o200k_base and cl100k_base
        token_counter.count_text(model, "warm up")


def main(argv: list[str] | None = None) -> None:
    from granian import Granian
    from granian.constants import HTTPModes, Interfaces, Loops, TaskImpl

    from backend.migrate import migrate

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--upstream", choices=("httpx", "aiohttp"), default="httpx")
    parser.add_argument("--loop", choices=[loop.value for loop in Loops], default="auto")
    parser.add_argument("--task-impl", choices=[t.value for t in TaskImpl], default="asyncio")
    parser.add_argument(
        "--preload", action="store_true", help="import the app and load the tokenizers before forking"
    )
    args = parser.parse_args(argv)
    os.environ["BENCH_UPSTREAM_CLIENT"] = args.upstream  # read by create_app in each worker
    migrate()
    if args.preload:
        preload()
    Granian(
        "bench.gateway_app:create_app",
        factory=True,
        address=args.host,
        port=args.port,
        interface=Interfaces.ASGI,
        workers=args.workers,
        loop=Loops(args.loop),
        task_impl=TaskImpl(args.task_impl),
        http=HTTPModes.auto,
        log_access=False,
    ).serve()


if __name__ == "__main__":
    main()
