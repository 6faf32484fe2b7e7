"""A/B for the Reflex gap: the gateway exactly as `newapi serve` builds it, in a process that has
also loaded and built the Reflex console app (pages, state, socket.io), which stays unused.

    granian --interface asgi --factory bench.reflex_heap_app:app   (bench/run.py --reflex-heap)

Measured next to the real console app, it splits the gap into what Reflex's ASGI layers cost per
call and what merely having Reflex loaded in the worker costs (a bigger heap for the garbage
collector to walk, more imported modules).
"""

from __future__ import annotations

from starlette.types import ASGIApp


def app() -> ASGIApp:
    from newapi_ui.newapi_ui import app as console

    console()  # build Reflex's ASGI stack too, so the worker holds everything `make run`'s does
    from backend.main import create_app

    return create_app()


def hot_console() -> ASGIApp:
    """A/B: the console app with the hot relay routes dispatched right inside `RelayCORS`, ahead of
    Reflex's Starlette app (its error, CORS and context middleware, router and mount)."""
    from backend.relay import routes
    from newapi_ui.newapi_ui import app as console

    outer = console()  # RelayCORS(Reflex's Starlette app)
    inner = outer.app

    async def dispatch(scope, receive, send) -> None:  # noqa: ANN001 - ASGI
        fmt = routes.hot_route(scope)
        if fmt is None:
            await inner(scope, receive, send)
        else:  # RelayCORS outside already opens CORS for cross-origin calls
            await routes.serve_hot(scope, receive, send, fmt, cors=False)

    outer.app = dispatch
    return outer


def frozen_console() -> ASGIApp:
    """A/B: the console app as served, with `gc.freeze()` once it is built, so full collections
    skip the objects created at startup."""
    import gc

    from newapi_ui.newapi_ui import app as console

    asgi = console()
    gc.collect()
    gc.freeze()
    return asgi
