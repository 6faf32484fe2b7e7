"""The gateway with the aiohttp upstream client swapped in, served like `newapi serve`.

    python -m bench.gateway_app --port 3000 --workers 2

Only for the A/B benchmark (`python -m bench.run --upstream aiohttp`): the app, the settings,
the migration and granian's options are those of `backend/cli.py`; the one difference is the
`set_client_factory` call, made in each worker before its start-up hooks run.
"""

from __future__ import annotations

import argparse

from fastapi import FastAPI


def create_app() -> FastAPI:
    from backend.main import create_app as gateway_app
    from backend.relay import upstream
    from bench.aiohttp_upstream import AiohttpUpstream

    upstream.set_client_factory(AiohttpUpstream)
    return gateway_app()


def main(argv: list[str] | None = None) -> None:
    from granian import Granian
    from granian.constants import HTTPModes, Interfaces, Loops

    from backend.migrate import migrate

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args(argv)
    migrate()
    Granian(
        "bench.gateway_app:create_app",
        factory=True,
        address=args.host,
        port=args.port,
        interface=Interfaces.ASGI,
        workers=args.workers,
        loop=Loops.auto,
        http=HTTPModes.auto,
        log_access=False,
    ).serve()


if __name__ == "__main__":
    main()
