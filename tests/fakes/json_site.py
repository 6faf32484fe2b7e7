"""A small JSON web site on loopback for tests of code that fetches other sites (Uptime Kuma status
pages, the model metadata upstream, another new-api's `ratio_config`): each path answers a fixed
status and JSON body, and every GET is recorded."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class JsonSite:
    def __init__(self, routes: dict[str, Any] | None = None, port: int = 0) -> None:
        # path -> body (status 200), or path -> (status, body)
        self.routes: dict[str, Any] = dict(routes or {})
        self.hits: list[str] = []
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's name)
                site.hits.append(self.path)
                found = site.routes.get(self.path.split("?", 1)[0])
                status, body = (404, {"error": "no such path"}) if found is None else (
                    found if isinstance(found, tuple) else (200, found))
                raw = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def log_message(self, *_args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> JsonSite:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
