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
