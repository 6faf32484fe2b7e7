"""Model management on an Ollama channel's server (`/api/channel/ollama/*`, admins): pull a model
(whole, or with its progress streamed to the console as SSE), delete one, read the server version.

The server is the channel's base URL (operator configuration, like every channel call), with the
channel's first key as a bearer token when it has one and the channel's proxy.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import orjson

from backend.cache.channels import ChannelInfo
from backend.relay.channel_balance import base_url_of, load_info, proxy_of
from backend.services.errors import Message, ServiceError, msg

OLLAMA = 4
SHORT_TIMEOUT = httpx.Timeout(20.0)
# A pull downloads gigabytes: no overall limit, but a silent server is given up after this long.
PULL_TIMEOUT = httpx.Timeout(20.0, read=600.0)
NOT_OLLAMA = msg("This operation is only supported for Ollama channels")


class OllamaError(ServiceError):
    """The Ollama server refused or could not be reached (502: the fault is upstream)."""

    def __init__(self, message: Message) -> None:
        super().__init__(message, 502)


async def ollama_channel(channel_id: int) -> ChannelInfo:
    info = await asyncio.to_thread(load_info, channel_id)
    if info.type != OLLAMA:
        raise ServiceError(NOT_OLLAMA)
    return info


def _headers(info: ChannelInfo) -> dict[str, str]:
    key = info.keys[0].strip() if info.keys else ""
    return {"Authorization": f"Bearer {key}"} if key else {}


def _client(info: ChannelInfo, timeout: httpx.Timeout) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        base_url=base_url_of(info),
        timeout=timeout,
        trust_env=False,
        proxy=proxy_of(info),
        headers=_headers(info),
        follow_redirects=False,
    )


def _error_of(status: int, raw: bytes) -> Message:
    """The server's own error text (passed through as it wrote it), else its status code."""
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError:
        body = None
    if isinstance(body, dict) and isinstance(body.get("error"), str):
        return msg("{message}", message=body["error"])
    return msg("status code {status}", status=status)


async def _call(
    info: ChannelInfo, method: str, path: str, body: Any = None, timeout: httpx.Timeout = SHORT_TIMEOUT
) -> Any:
    try:
        async with _client(info, timeout) as client:
            resp = await client.request(method, path, json=body)
    except httpx.HTTPError as exc:
        raise OllamaError(msg("the Ollama server could not be reached: {error}", error=type(exc).__name__)) from exc
    if resp.status_code != 200:
        raise OllamaError(_error_of(resp.status_code, resp.content))
    try:
        return orjson.loads(resp.content) if resp.content.strip() else {}
    except orjson.JSONDecodeError:
        raise OllamaError(msg("the Ollama server answered with a body that is not JSON")) from None


async def pull(channel_id: int, model: str) -> None:
    info = await ollama_channel(channel_id)
    reply = await _call(info, "POST", "/api/pull", {"model": model, "stream": False}, PULL_TIMEOUT)
    if isinstance(reply, dict) and reply.get("error"):
        raise OllamaError(msg("{message}", message=str(reply["error"])))


async def delete(channel_id: int, model: str) -> None:
    info = await ollama_channel(channel_id)
    await _call(info, "DELETE", "/api/delete", {"model": model})


async def version(channel_id: int) -> str:
    info = await ollama_channel(channel_id)
    reply = await _call(info, "GET", "/api/version")
    found = reply.get("version") if isinstance(reply, dict) else None
    if not isinstance(found, str) or not found:
        raise OllamaError(msg("the Ollama server's reply has no version"))
    return found


def _event(payload: Any) -> bytes:
    return b"data: " + (payload if isinstance(payload, bytes) else orjson.dumps(payload)) + b"\n\n"


async def pull_events(info: ChannelInfo, model: str) -> AsyncIterator[dict[str, Any]]:
    """Each progress object Ollama sends, then `{"message"}` on success or `{"error"}` on failure
    (the stream's own status is already 200 when a pull fails)."""
    failure: str | None = None
    try:
        async with _client(info, PULL_TIMEOUT) as client, \
                client.stream("POST", "/api/pull", json={"model": model, "stream": True}) as resp:
            if resp.status_code != 200:
                failure = str(_error_of(resp.status_code, await resp.aread()))
            else:
                async for line in resp.aiter_lines():
                    if not line.strip():
                        continue
                    try:
                        progress = orjson.loads(line)
                    except orjson.JSONDecodeError:
                        continue
                    if not isinstance(progress, dict):
                        continue
                    if progress.get("error"):
                        failure = str(progress["error"])
                        break
                    yield progress
    except httpx.HTTPError as exc:
        failure = f"the Ollama server could not be reached: {type(exc).__name__}"
    yield {"error": failure} if failure else {"message": f"Model {model} pulled successfully"}


async def pull_stream(info: ChannelInfo, model: str) -> AsyncIterator[bytes]:
    """new-api's SSE stream: `pull_events` as `data:` lines, then `[DONE]`."""
    async for event in pull_events(info, model):
        yield _event(event)
    yield _event(b"[DONE]")
