"""The Reflex app: the console pages plus the gateway (`/api`, `/v1`) on the same port.

Reflex mounts itself inside the FastAPI app given as `api_transformer`, so gateway routes match
first and everything else falls through to the console. FastAPI's own lifespan does not run when
mounted, hence `register_lifespan_task`. Reflex mutates the FastAPI app it is given, so every
rx.App gets a fresh one from the factory, and the ASGI app is built once per rx.App.
"""

from __future__ import annotations

import reflex as rx
from starlette.types import ASGIApp, Receive, Scope, Send

from backend import lifecycle
from backend.main import create_app
from backend.relay import routes as relay_routes
from backend.relay_cors import RelayCORS
from newapi_ui import styles
from newapi_ui.components.toast import toaster
from newapi_ui.pages import (  # noqa: F401 - declares the pages
    about,
    admin_orders,
    admin_settings,
    channels,
    dashboard,
    home,
    legal,
    login,
    logs,
    models,
    not_found,
    oauth_callback,
    performance,
    personal,
    plans,
    playground,
    prefill_groups,
    pricing,
    ratio_sync,
    redemptions,
    register,
    reset,
    setup,
    tasks,
    tokens,
    users,
    vendors,
    wallet,
)
from newapi_ui.template import PAGES


def _hot_relay_first(console: ASGIApp) -> ASGIApp:
    """The relay's hot POSTs skip Reflex's own layers (error, CORS and context middleware, router,
    mount): they cost the relay about a third more CPU per call (docs/benchmarks.md)."""

    async def dispatch(scope: Scope, receive: Receive, send: Send) -> None:
        fmt = relay_routes.hot_route(scope)
        if fmt is None:
            await console(scope, receive, send)
        else:  # RelayCORS, outside, already opens CORS for cross-origin calls
            await relay_routes.serve_hot(scope, receive, send, fmt, cors=False)

    return dispatch


class GatewayApp(rx.App):
    """rx.App whose ASGI app is built once, with the hot relay calls dispatched ahead of Reflex,
    and wrapped in the relay's allow-any-origin CORS."""

    _asgi: ASGIApp | None = None

    def __call__(self) -> ASGIApp:
        if self._asgi is None:
            asgi = super().__call__()
            if not rx.config.get_config().cors_allowed_origins and self.sio is not None:
                # Reflex passes an empty origin list on as "no origin check" for the websocket;
                # None makes engine.io accept only the page's own origin.
                self.sio.eio.cors_allowed_origins = None
            self._asgi = RelayCORS(_hot_relay_first(asgi))
        return self._asgi


app = GatewayApp(
    api_transformer=create_app(with_lifespan=False, cors=False),
    style=styles.base_style,
    stylesheets=["/contrast.css"],  # assets/contrast.css: WCAG contrast over Radix defaults
    toaster=toaster(),
    html_lang="en",
)
app.register_lifespan_task(lifecycle.lifespan)
for spec in PAGES:
    app.add_page(spec.render, route=spec.route, title=spec.title, on_load=spec.on_load)
