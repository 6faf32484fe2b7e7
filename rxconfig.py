"""Reflex configuration of the console (`newapi_ui`), served with the gateway on one port.

Nothing here may reach the internet: telemetry is off, bun comes from `tools/` (REFLEX_USE_SYSTEM_BUN).
CORS: the console, its websocket and `/api` are same-origin only (no origin list in prod); the relay's
allow-any-origin CORS is applied outside Reflex by `backend.relay_cors` (see newapi_ui/newapi_ui.py).
"""

import os
from pathlib import Path

import reflex as rx

# Also when reflex is run by hand rather than through make: use bun from tools/, never the network.
_TOOLS_BIN = Path(__file__).resolve().parent / "tools" / "node_modules" / ".bin"
if _TOOLS_BIN.is_dir() and str(_TOOLS_BIN) not in os.environ.get("PATH", "").split(os.pathsep):
    os.environ["PATH"] = f"{_TOOLS_BIN}{os.pathsep}{os.environ.get('PATH', '')}"
for _name, _value in (("REFLEX_USE_SYSTEM_BUN", "1"), ("REFLEX_TELEMETRY_ENABLED", "false"),
                      ("REFLEX_CHECK_LATEST_VERSION", "false"), ("NPM_CONFIG_REGISTRY", "https://registry.npmjs.org")):
    os.environ.setdefault(_name, _value)

_PORT = int(os.environ.get("PORT", "3000"))
_DEV = os.environ.get("REFLEX_ENV_MODE", "dev") == "dev"

config = rx.Config(
    app_name="newapi_ui",
    telemetry_enabled=False,
    show_built_with_reflex=False,
    frontend_port=_PORT,
    backend_port=int(os.environ.get("BACKEND_PORT", "8000")) if _DEV else _PORT,
    # Dev serves the UI (Vite) and the backend on two ports, so the UI origin must be allowed there;
    # prod is single-port and needs no cross-origin access at all.
    cors_allowed_origins=[f"http://localhost:{_PORT}", f"http://127.0.0.1:{_PORT}"] if _DEV else [],
    # More than one worker needs shared state: Reflex keeps it in Redis when the gateway has Redis.
    redis_url=os.environ.get("REDIS_CONN_STRING") or None,
    default_color_mode="system",
    plugins=[rx.plugins.RadixThemesPlugin(theme=rx.theme(accent_color="indigo", radius="medium"))],
    disable_plugins=[rx.plugins.SitemapPlugin],
)
