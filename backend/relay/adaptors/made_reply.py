"""An upstream reply an adaptor makes itself, for the pipeline to read like one off the wire.

Kinds whose call is not one HTTP exchange (`Adaptor.send`: DashScope's image jobs, submitted then
polled; Xunfei Spark's WebSocket) hand the pipeline one of these: a status, a content type, and
the body whole or as chunks produced while it is read (a stream's SSE bytes), with a closer that
ends whatever the chunks come from (the socket) when the pipeline gives the reply up.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable

from multidict import CIMultiDict

from backend.relay.upstream import UpstreamResponse


class MadeResponse(UpstreamResponse):
    def __init__(
        self,
        status_code: int,
        content_type: str,
        body: bytes | AsyncIterator[bytes],
        close: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self.status_code = status_code
        self.headers = CIMultiDict({"Content-Type": content_type})
        self._body = body
        self._close = close
        self._closed = False

    async def aread(self) -> bytes:
        if isinstance(self._body, bytes):
            return self._body
        return b"".join([chunk async for chunk in self._body])

    async def aiter_bytes(self) -> AsyncGenerator[bytes, None]:
        if isinstance(self._body, bytes):
            yield self._body
            return
        async for chunk in self._body:
            yield chunk

    async def aclose(self) -> None:
        if not self._closed:
            self._closed = True
            if self._close is not None:
                await self._close()
