"""A zero-latency OpenAI-format upstream for benchmarks, served by granian's RSGI interface.

It must cost far less per request than the gateway, or the benchmark measures the mock: replies
are prebuilt bytes, the request body is parsed once with orjson and only `model`, `stream` and
`stream_options` are read. Run it alone in its own process:

    python -m bench.mock_upstream --port 9100

`POST /_mock/config {"chunk_delay_ms": N}` sets a pause between stream chunks (0 by default), so a
streams phase can hold many connections open at once, and zeroes the counters that
`GET /_mock/stats` reports (requests, peak open streams, connections seen). The mock runs one worker, so this
process-wide state is the whole server's.
"""

from __future__ import annotations

import argparse
import asyncio
from functools import lru_cache
from typing import Any

import orjson

PROMPT_TOKENS = 19
CONTENT_PIECES = ("Hello", "!", " How", " can", " I", " help", " you", " today", "?")
COMPLETION_TOKENS = len(CONTENT_PIECES)

_JSON_HEADERS = [("content-type", "application/json")]
_SSE_HEADERS = [("content-type", "text/event-stream"), ("cache-control", "no-cache")]

_state = {"chunk_delay": 0.0}
# counters for the harness: how many streams were open at once proves the streams phase overlapped
_stats = {"requests": 0, "open_streams": 0, "peak_open_streams": 0}
# client address:port pairs seen since the last reset: how many connections the caller opened
_peers: set[str] = set()


def _usage() -> dict:
    return {
        "prompt_tokens": PROMPT_TOKENS,
        "completion_tokens": COMPLETION_TOKENS,
        "total_tokens": PROMPT_TOKENS + COMPLETION_TOKENS,
        "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
        "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 0},
    }


@lru_cache(maxsize=256)
def completion_body(model: str) -> bytes:
    """A complete chat.completion object; ids and timestamps are fixed, nothing checks them."""
    return orjson.dumps(
        {
            "id": "chatcmpl-bench0000000000000000000000",
            "object": "chat.completion",
            "created": 1_700_000_000,
            "model": model,
            "system_fingerprint": "fp_bench",
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": "".join(CONTENT_PIECES), "refusal": None},
                    "logprobs": None,
                    "finish_reason": "stop",
                }
            ],
            "usage": _usage(),
            "service_tier": "default",
        }
    )


@lru_cache(maxsize=512)
def stream_events(model: str, include_usage: bool) -> tuple[bytes, ...]:
    """The SSE events of one streamed reply, each `data: …\\n\\n`, ending with `[DONE]`."""
    base = {
        "id": "chatcmpl-bench0000000000000000000000",
        "object": "chat.completion.chunk",
        "created": 1_700_000_000,
        "model": model,
        "system_fingerprint": "fp_bench",
    }
    chunks: list[dict] = [
        {
            **base,
            "choices": [
                {
                    "index": 0,
                    "delta": {"role": "assistant", "content": ""},
                    "logprobs": None,
                    "finish_reason": None,
                }
            ],
        }
    ]
    for piece in CONTENT_PIECES:
        chunks.append(
            {
                **base,
                "choices": [
                    {"index": 0, "delta": {"content": piece}, "logprobs": None, "finish_reason": None}
                ],
            }
        )
    chunks.append({**base, "choices": [{"index": 0, "delta": {}, "logprobs": None, "finish_reason": "stop"}]})
    if include_usage:
        for chunk in chunks:
            chunk["usage"] = None
        chunks.append({**base, "choices": [], "usage": _usage()})
    events = [b"data: " + orjson.dumps(c) + b"\n\n" for c in chunks]
    events.append(b"data: [DONE]\n\n")
    return tuple(events)


_MODELS_BODY = orjson.dumps(
    {
        "object": "list",
        "data": [{"id": "gpt-4o-mini", "object": "model", "created": 1_700_000_000, "owned_by": "bench"}],
    }
)


def _error(status: int, message: str) -> tuple[int, bytes]:
    return status, orjson.dumps(
        {"error": {"message": message, "type": "invalid_request_error", "param": None, "code": None}}
    )


async def app(scope: Any, proto: Any) -> None:  # granian's RSGI scope and protocol
    """RSGI entry point."""
    if scope.proto != "http":
        return
    path = scope.path
    if scope.method == "POST" and path.endswith("/chat/completions"):
        _stats["requests"] += 1
        _peers.add(scope.client)
        raw = await proto()
        try:
            req = orjson.loads(raw)
            model = req["model"]
        except (orjson.JSONDecodeError, KeyError, TypeError):
            status, body = _error(400, "body must be a JSON object with a model")
            proto.response_bytes(status, _JSON_HEADERS, body)
            return
        if not req.get("stream"):
            proto.response_bytes(200, _JSON_HEADERS, completion_body(model))
            return
        opts = req.get("stream_options") or {}
        events = stream_events(model, bool(opts.get("include_usage")))
        transport = proto.response_stream(200, _SSE_HEADERS)
        delay = _state["chunk_delay"]
        _stats["open_streams"] += 1
        _stats["peak_open_streams"] = max(_stats["peak_open_streams"], _stats["open_streams"])
        try:
            for event in events:
                if delay:
                    await asyncio.sleep(delay)
                await transport.send_bytes(event)
        finally:
            _stats["open_streams"] -= 1
        return
    if scope.method == "GET" and path.endswith("/models"):
        proto.response_bytes(200, _JSON_HEADERS, _MODELS_BODY)
        return
    if scope.method == "POST" and path == "/_mock/config":
        cfg = orjson.loads(await proto())
        _state["chunk_delay"] = float(cfg.get("chunk_delay_ms", 0)) / 1000.0
        _stats["requests"] = 0
        _stats["peak_open_streams"] = _stats["open_streams"]
        _peers.clear()
        proto.response_bytes(
            200, _JSON_HEADERS, orjson.dumps({"chunk_delay_ms": _state["chunk_delay"] * 1000})
        )
        return
    if path == "/_mock/stats":
        proto.response_bytes(200, _JSON_HEADERS, orjson.dumps({**_stats, "connections": len(_peers)}))
        return
    status, body = _error(404, f"no route {scope.method} {path}")
    proto.response_bytes(status, _JSON_HEADERS, body)


def main(argv: list[str] | None = None) -> None:
    from granian import Granian
    from granian.constants import HTTPModes, Interfaces, Loops

    parser = argparse.ArgumentParser(description="zero-latency OpenAI-format mock upstream")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=9100)
    args = parser.parse_args(argv)
    Granian(
        "bench.mock_upstream:app",
        address=args.host,
        port=args.port,
        interface=Interfaces.RSGI,
        workers=1,
        loop=Loops.auto,
        http=HTTPModes.http1,
        log_access=False,
        backlog=4096,
    ).serve()


if __name__ == "__main__":
    main()
