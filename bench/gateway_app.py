"""The gateway served like `newapi serve`, with one knob changed, for A/B benchmark runs.

    python -m bench.gateway_app --port 3000 --workers 2 --upstream aiohttp --loop uvloop

The app, settings, migration and granian options are those of `backend/cli.py`. What can differ:
`--upstream aiohttp` swaps the relay's upstream client through `set_client_factory` (made in each
worker before its start-up hooks run); `--loop` and `--task-impl` are granian's own options;
`--preload` imports the app and loads the tokenizers in granian's main process before it forks;
`--fast-path` sends chat completions to the relay pipeline past FastAPI's routing layers. The
uvloop variant needs uvloop importable (e.g. `pip install --target DIR uvloop` and
`BENCH_EXTRA_PYTHONPATH=DIR`), since it is not a project dependency.
"""

from __future__ import annotations

import argparse
import os
from typing import Any

from fastapi import FastAPI


def create_app() -> Any:
    from backend.main import create_app as gateway_app

    if os.environ.get("BENCH_UPSTREAM_CLIENT") == "aiohttp":
        from backend.relay import upstream
        from bench.aiohttp_upstream import AiohttpUpstream

        upstream.set_client_factory(AiohttpUpstream)
    app = gateway_app()
    if os.environ.get("BENCH_FAST_PATH") == "1":
        return chat_fast_path(app)
    return app


def chat_fast_path(app: FastAPI) -> Any:
    """`POST /v1/chat/completions` straight to the relay pipeline, past FastAPI's router, its
    exception/exit-stack/telemetry layers and the request_response wrapper; everything else (and
    the lifespan) goes to the app. The relay's own layers stay: RelayCORS and the request id.
    This measures what the framework costs on the hot path; the pipeline catches every error
    itself, so replies are the same."""
    from starlette.requests import Request

    from backend.relay import pipeline
    from backend.relay.adaptors.base import RelayFormat
    from backend.relay.context import RequestIdMiddleware
    from backend.relay_cors import RelayCORS

    async def chat(scope: Any, receive: Any, send: Any) -> None:
        response = await pipeline.relay(Request(scope, receive), RelayFormat.OPENAI_CHAT)
        await response(scope, receive, send)

    fast = RelayCORS(RequestIdMiddleware(chat))

    async def dispatch(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["method"] == "POST" and scope["path"] == "/v1/chat/completions":
            await fast(scope, receive, send)
        else:
            await app(scope, receive, send)

    return dispatch


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
    parser.add_argument("--upstream", choices=("shipped", "aiohttp"), default="shipped")
    parser.add_argument("--loop", choices=[loop.value for loop in Loops], default="auto")
    parser.add_argument("--task-impl", choices=[t.value for t in TaskImpl], default="asyncio")
    parser.add_argument(
        "--preload", action="store_true", help="import the app and load the tokenizers before forking"
    )
    parser.add_argument(
        "--fast-path", action="store_true", help="chat completions past FastAPI's routing layers"
    )
    parser.add_argument("--backpressure", type=int, default=None, help="granian's connections-per-worker cap")
    args = parser.parse_args(argv)
    os.environ["BENCH_UPSTREAM_CLIENT"] = args.upstream  # read by create_app in each worker
    os.environ["BENCH_FAST_PATH"] = "1" if args.fast_path else "0"
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
        backpressure=args.backpressure,
    ).serve()


if __name__ == "__main__":
    main()
