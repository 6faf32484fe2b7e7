"""Channel snapshots and request metadata for adaptor tests."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import httpx
from anthropic.lib.streaming._messages import accumulate_event
from anthropic.types import Message, RawMessageStreamEvent
from openai.types.chat import ChatCompletionChunk
from pydantic import TypeAdapter

from backend.cache.channels import ChannelInfo
from backend.models.usage import Usage
from backend.relay.adaptors import Adaptor, RelayFormat, RelayMeta, UpstreamError, get_adaptor
from backend.relay.sse import SSEParser
from backend.services import options

CLAUDE_EVENT = TypeAdapter(RawMessageStreamEvent)
FALLBACK = Usage(5, 6)  # what the pipeline would count locally when the upstream reports nothing


def channel(type_id: int = 1, base_url: str = "", **overrides: Any) -> ChannelInfo:
    fields: dict[str, Any] = {
        "id": 7,
        "type": type_id,
        "name": "test",
        "status": 1,
        "keys": ("sk-chan",),
        "base_url": base_url,
        "other": "",
        "models": (),
        "groups": ("default",),
        "priority": 0,
        "weight": 0,
        "auto_ban": 1,
        "openai_organization": "",
        "tag": "",
    }
    fields.update(overrides)
    return ChannelInfo(**fields)


def meta(
    fmt: RelayFormat = RelayFormat.OPENAI_CHAT, model: str = "gpt-4o", upstream: str | None = None, **kw: Any
) -> RelayMeta:
    kw.setdefault("options", options)  # the settings the tests store, as the pipeline hands them over
    return RelayMeta(fmt=fmt, origin_model=model, upstream_model=upstream or model, **kw)


def adaptor(ch: ChannelInfo, m: RelayMeta | None = None, key: str = "sk-chan") -> Adaptor:
    return get_adaptor(ch, key, m or meta())


@dataclass
class Result:
    status: int
    body: bytes = b""
    usage: Usage | None = None
    frames: list[bytes] = field(default_factory=list)
    error: UpstreamError | None = None
    stream_error: UpstreamError | None = None
    text: str = ""


def run(a, body: dict) -> Result:
    req = a.build_request(body)
    with httpx.Client(timeout=30) as client:
        resp = client.send(
            client.build_request(req.method, req.url, headers=req.headers, content=req.body), stream=True
        )
        try:
            if resp.status_code != 200:
                return Result(resp.status_code, error=a.parse_error(resp.status_code, resp.read()))
            if a.meta.stream or "text/event-stream" in resp.headers.get("content-type", ""):
                conv = a.stream_converter()
                parser = conv.make_parser()
                frames: list[bytes] = []
                for chunk in resp.iter_bytes():
                    for event in parser.feed(chunk):
                        frames += conv.feed(event)
                    if parser.done:
                        break
                for event in parser.flush():
                    frames += conv.feed(event)
                frames += conv.finish(conv.usage or FALLBACK)
                return Result(
                    200, usage=conv.usage, frames=frames, stream_error=conv.error, text=conv.completion_text
                )
            try:
                out = a.parse_response(resp.read(), resp.headers.get("content-type"))
            except UpstreamError as err:
                return Result(200, error=err)
            return Result(200, out.body, out.usage, text=out.completion_text)
        finally:
            resp.close()


def openai_chunks(frames: list[bytes]) -> tuple[list[ChatCompletionChunk], bool]:
    parser = SSEParser()
    events = [e for f in frames for e in parser.feed(f)]
    return [ChatCompletionChunk.model_validate(e.json()) for e in events], parser.done


def claude_message(frames: list[bytes]) -> Message:
    parser = SSEParser()
    snapshot, bufs = None, {}
    for e in (e for f in frames for e in parser.feed(f)):
        payload = e.json()
        if payload["type"] == "ping":  # the SDK skips pings too
            continue
        assert e.event == payload["type"]
        snapshot = accumulate_event(
            event=CLAUDE_EVENT.validate_python(payload), current_snapshot=snapshot, json_bufs=bufs
        )
    assert snapshot is not None
    return snapshot
