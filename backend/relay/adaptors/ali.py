"""Ali / DashScope (channel type 17), as new-api's `relay/channel/ali` reaches it, with one Bearer key:

- chat, completions and embeddings through DashScope's OpenAI-compatible mode (`top_p` held
  inside (0, 1) as DashScope requires; `X-DashScope-SSE` on streams, the channel's `other` as
  `X-DashScope-Plugin`);
- Claude Messages clients through DashScope's Anthropic-compatible endpoint
  (`/api/v2/apps/claude-code-proxy/v1/messages`), passed through;
- rerank through the native text-rerank service;
- image generation natively: qwen-image models at once (multimodal-generation), the others (wanx)
  as an asynchronous job (`X-DashScope-Async: enable`), polled at `/api/v1/tasks/{id}` until it
  ends, all inside `send`, so the pipeline reads the finished job as the reply. A
  `response_format: b64_json` caller gets the images' bytes, fetched from the job's URLs.

Conversions in `backend/relay/convert/ali.py`.
"""

from __future__ import annotations

import asyncio
import base64
import time
from typing import Any

import orjson

from backend.models.usage import Usage
from backend.relay.adaptors.anthropic import AnthropicAdaptor
from backend.relay.adaptors.base import (
    ChannelLike,
    RelayFormat,
    RelayMeta,
    RelayResponse,
    UpstreamError,
    UpstreamRequest,
)
from backend.relay.adaptors.errors import json_object
from backend.relay.adaptors.made_reply import MadeResponse
from backend.relay.adaptors.openai import OpenAIAdaptor
from backend.relay.convert.ali import (
    ASYNC_IMAGE_PATH,
    SYNC_IMAGE_PATH,
    TASK_DONE,
    TASK_PATH,
    ali_to_openai_images,
    clamp_top_p,
    dashscope_error,
    dashscope_to_rerank,
    image_urls,
    is_sync_image_model,
    openai_image_to_ali,
    rerank_to_dashscope,
    task_failure,
    task_id,
    task_status,
    with_inline_images,
)
from backend.relay.upstream import UpstreamTransportError

F = RelayFormat
RERANK_PATH = "/api/v1/services/rerank/text-rerank/text-rerank"
CLAUDE_PATH = "/api/v2/apps/claude-code-proxy/v1/messages"
# new-api's wait for an image job: 5 s, then a poll every 10 s, 20 polls at most
TASK_FIRST_WAIT_S = 5.0
TASK_POLL_EVERY_S = 10.0
TASK_MAX_POLLS = 20
IMAGE_FETCH_CAP = 32 << 20  # one generated image, fetched for a b64_json caller


def _native_base(channel: ChannelLike) -> str:
    base = (channel.base_url or "https://dashscope.aliyuncs.com").strip().rstrip("/")
    return base.removesuffix("/compatible-mode/v1")


async def _read(resp: Any, cap: int | None = None) -> bytes:
    try:
        if cap is None:
            return await resp.aread()
        buf = bytearray()
        async for chunk in resp.aiter_bytes():
            buf += chunk
            if len(buf) > cap:
                raise UpstreamError(
                    502, "a DashScope image is larger than the gateway fetches", code="ali_image_too_large"
                )
        return bytes(buf)
    finally:
        await resp.aclose()


class AliClaudeAdaptor(AnthropicAdaptor):
    """Claude Messages clients: DashScope's Anthropic-compatible endpoint, Bearer key."""

    counts_tokens = False  # the endpoint has no count_tokens: the gateway counts

    def request_url(self) -> str:
        return _native_base(self.channel) + CLAUDE_PATH

    def auth_headers(self) -> dict[str, str]:
        return {**super().auth_headers(), "Authorization": f"Bearer {self.key}"}


class AliOpenAIAdaptor(OpenAIAdaptor):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._sync_image = is_sync_image_model(self.upstream_model)
        self._b64 = False

    def request_url(self) -> str:
        if self.upstream_format == F.RERANK:
            return _native_base(self.channel) + RERANK_PATH
        if self.upstream_format == F.OPENAI_IMAGES:
            return _native_base(self.channel) + (SYNC_IMAGE_PATH if self._sync_image else ASYNC_IMAGE_PATH)
        return super().request_url()

    def auth_headers(self) -> dict[str, str]:
        headers = {"Authorization": f"Bearer {self.key}"}
        plugin = (self.channel.other or "").strip()
        if plugin:
            headers["X-DashScope-Plugin"] = plugin
        return headers

    def _headers(self, stream: bool) -> dict[str, str]:
        headers = super()._headers(stream)
        if stream:
            headers["X-DashScope-SSE"] = "enable"
        if self.upstream_format == F.OPENAI_IMAGES and not self._sync_image:
            headers["X-DashScope-Async"] = "enable"
        return headers

    def convert_request(self, body: dict) -> dict:
        if self.meta.fmt == F.RERANK:
            return rerank_to_dashscope(body, self.upstream_model)
        if self.meta.fmt == F.OPENAI_IMAGES:
            self._b64 = body.get("response_format") == "b64_json"
            return openai_image_to_ali(body, self.upstream_model, self._sync_image)
        out = super().convert_request(body)
        if self.upstream_format == F.OPENAI_CHAT:
            clamp_top_p(out)
        return out

    # -- image jobs ------------------------------------------------------------------------

    async def send(self, client: Any, request: UpstreamRequest) -> Any:
        if self.meta.fmt != F.OPENAI_IMAGES:
            return await client.send(request)
        resp = await client.send(request)
        if resp.status_code != 200:
            return resp  # the pipeline reads the refusal as any other
        reply = self._checked(await _read(resp))
        if not self._sync_image:
            reply = await self._await_job(client, reply)
        if self._b64:
            reply = with_inline_images(reply, await self._fetch_images(client, image_urls(reply)))
        return MadeResponse(200, "application/json", orjson.dumps(reply))

    def _checked(self, raw: bytes) -> dict:
        reply = json_object(raw)
        failed = dashscope_error(reply)
        if failed is not None:
            raise UpstreamError(500, failed[0], type=failed[1], code=failed[1])
        return reply

    async def _await_job(self, client: Any, submitted: dict) -> dict:
        job = task_id(submitted)
        if not job:
            raise UpstreamError(
                502, "DashScope accepted the image job without a task_id", code="ali_task_failed"
            )
        poll = UpstreamRequest(
            "GET",
            _native_base(self.channel) + TASK_PATH + job,
            self.auth_headers(),
            None,
            False,
            self._proxy(),
        )
        await asyncio.sleep(TASK_FIRST_WAIT_S)
        for _ in range(TASK_MAX_POLLS):
            resp = await client.send(poll)
            raw = await _read(resp)
            if resp.status_code != 200:
                raise self.parse_error(resp.status_code, raw)
            state = self._checked(raw)
            status = task_status(state)
            if status == "SUCCEEDED":
                return state
            if status in TASK_DONE or not status:
                message, code = task_failure(state)
                raise UpstreamError(400, f"DashScope image job {job}: {message}", type="ali_error", code=code)
            await asyncio.sleep(TASK_POLL_EVERY_S)
        raise UpstreamError(504, f"DashScope image job {job} did not finish in time", code="ali_task_timeout")

    async def _fetch_images(self, client: Any, urls: list[str]) -> dict[str, str]:
        """Each image's bytes as base64; an image that cannot be fetched keeps its URL."""
        fetched: dict[str, str] = {}
        for url in urls:
            try:
                resp = await client.send(
                    UpstreamRequest("GET", url, {"Accept": "image/*"}, None, False, self._proxy())
                )
                raw = await _read(resp, IMAGE_FETCH_CAP)
            except (UpstreamError, UpstreamTransportError):
                continue
            if resp.status_code == 200 and raw:
                fetched[url] = base64.b64encode(raw).decode()
        return fetched

    # -- replies ---------------------------------------------------------------------------

    def parse_response(self, raw: bytes, content_type: str | None = None) -> RelayResponse:
        if self.meta.fmt == F.OPENAI_IMAGES:
            body = ali_to_openai_images(self._checked(raw), int(time.time()))
            if not body["data"]:
                raise UpstreamError(
                    502, "DashScope finished the image job without an image", code="ali_no_image"
                )
            return RelayResponse(orjson.dumps(body), "application/json", None, "")
        if self.meta.fmt != F.RERANK:
            return super().parse_response(raw, content_type)
        body, tokens = dashscope_to_rerank(self._checked(raw))
        return RelayResponse(orjson.dumps(body), "application/json", Usage(tokens, 0) if tokens else None, "")


class AliAdaptor(OpenAIAdaptor):
    """The registry's entry: Claude Messages calls get the Anthropic-compatible flavour, the rest
    the OpenAI-compatible one with DashScope's native services."""

    def __new__(cls, channel: ChannelLike, key: str, meta: RelayMeta) -> Any:
        flavour = AliClaudeAdaptor if meta.fmt == F.CLAUDE_MESSAGES else AliOpenAIAdaptor
        return flavour(channel, key, meta)
