"""What the Reflex server's own ASGI layers cost per relay call, in one process, without sockets.

    REFLEX_ENV_MODE=prod __REFLEX_SKIP_COMPILE=true __REFLEX_MOUNT_FRONTEND_COMPILED_APP=true \\
        .venv/bin/python -m bench.reflex_layers

Builds the ASGI app `make run` serves (`newapi_ui.newapi_ui:app`, prebuilt `.web`, no compile) and
the one `newapi serve` serves (`backend.main.create_app()`), replaces only the relay call behind
the hot route (`backend.relay.routes.pipeline.relay`) by a prebuilt JSON reply, and drives the same
POST /v1/chat/completions through both, in one event loop, timing CPU per call. The difference is
what the layers Reflex puts in front of the gateway cost by themselves (RelayCORS, Starlette's
ServerErrorMiddleware and CORSMiddleware, Reflex's _ContextMiddleware, ExceptionMiddleware, the
router and the Mount at ""), with no upstream, database or server noise in it.
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
from typing import Any

import orjson
from starlette.responses import Response, StreamingResponse

CALLS = 20000
REPLY = orjson.dumps({"id": "x", "object": "chat.completion", "choices": [], "usage": {"total_tokens": 3}})
BODY = orjson.dumps({"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Say hello"}]})
# what the load generator (aiohttp) sends
HEADERS = [
    (b"host", b"127.0.0.1:3000"),
    (b"user-agent", b"Python/3.11 aiohttp/3.14.5"),
    (b"accept", b"*/*"),
    (b"accept-encoding", b"gzip, deflate"),
    (b"authorization", b"Bearer sk-" + b"a" * 48),
    (b"content-type", b"application/json"),
    (b"content-length", str(len(BODY)).encode()),
]


SSE_EVENTS = 12  # what the mock upstream sends per stream, [DONE] aside
CHUNK = b"data: " + orjson.dumps({"id": "x", "object": "chat.completion.chunk", "choices": []}) + b"\n\n"


async def _events() -> Any:
    for _ in range(SSE_EVENTS):
        yield CHUNK
    yield b"data: [DONE]\n\n"


async def _stub_relay(request: Any, fmt: Any, *, headers: Any) -> Response:
    body = await request.body()
    if b'"stream":true' in body:
        return StreamingResponse(_events(), media_type="text/event-stream")
    return Response(REPLY, media_type="application/json")


def _scope() -> dict[str, Any]:
    return {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
        "scheme": "http", "path": "/v1/chat/completions", "raw_path": b"/v1/chat/completions",
        "root_path": "", "query_string": b"", "headers": list(HEADERS),
        "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 3000),
    }


async def _drive(app: Any, calls: int, body: bytes) -> tuple[float, list[tuple[bytes, bytes]]]:
    """CPU ms per call; also the response headers of the last call."""
    sent: list[dict[str, Any]] = []
    read = [False]
    never = asyncio.Event()

    async def receive() -> dict[str, Any]:
        if read[0]:  # the client stays connected: a disconnect listener just waits
            await never.wait()
        read[0] = True
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    for i in range(calls + 200):  # 200 warm-up calls
        if i == 200:
            t0 = time.process_time()
        sent.clear()
        read[0] = False
        await app(_scope(), receive, send)
    cpu = (time.process_time() - t0) * 1000 / calls
    assert sent[0]["status"] == 200, sent[0]
    return cpu, sent[0]["headers"]


def main() -> int:
    if os.environ.get("__REFLEX_SKIP_COMPILE") != "true":
        print(__doc__)
        return 2
    from backend.main import create_app
    from backend.relay import routes

    routes.pipeline.relay = _stub_relay  # serve_hot looks it up on the module at call time
    from newapi_ui.newapi_ui import app as rx_app

    serve_asgi = create_app(with_lifespan=False)
    reflex_asgi = rx_app()
    stream_body = orjson.dumps({**orjson.loads(BODY), "stream": True})
    for kind, body in (("JSON reply", BODY), (f"SSE reply, {SSE_EVENTS + 1} events", stream_body)):
        results: dict[str, list[float]] = {"serve": [], "reflex": []}
        headers: dict[str, list[tuple[bytes, bytes]]] = {}
        for _ in range(3):  # interleaved rounds, best of three: other load on the machine only adds
            for name, app in (("serve", serve_asgi), ("reflex", reflex_asgi)):
                cpu, headers[name] = asyncio.run(_drive(app, CALLS, body))
                results[name].append(cpu)
        serve, reflex = min(results["serve"]), min(results["reflex"])
        print(f"{kind}: {CALLS} calls per round, best of 3 rounds, CPU per call (stubbed relay):")
        print(f"  newapi serve app   {serve * 1000:7.1f} us   rounds {[round(x * 1000, 1) for x in results['serve']]}")
        print(f"  Reflex app         {reflex * 1000:7.1f} us   rounds {[round(x * 1000, 1) for x in results['reflex']]}")
        print(f"  Reflex's layers    {(reflex - serve) * 1000:7.1f} us per call")
        serve_names = {k for k, _ in headers["serve"]}
        extra = [h for h in headers["reflex"] if h[0] not in serve_names]
        print(f"  response headers only the Reflex app adds: {extra}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
