"""Noticing a client that leaves before the upstream answers, and stopping the work it asked for.

Once a relay body is read, the only ASGI message left for the request is `http.disconnect`, so
the upstream call can be raced against it: when the client goes first the upstream request is
cancelled (its connection closed, so the provider stops generating) and the call fails with
`client_gone`, which the pipeline refunds like any failed call. Streams that already started are
watched by `streaming.StreamResponse` instead, and settled for what they produced.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable
from typing import TypeVar

from starlette.types import Receive

from backend.relay.errors import RelayError

log = logging.getLogger("newapi.relay")

CLIENT_GONE_STATUS = 499  # nginx's "client closed request": logged, never seen by anyone
T = TypeVar("T")


def client_gone() -> RelayError:
    return RelayError(CLIENT_GONE_STATUS, "the client closed the connection before the upstream answered",
                      code="client_gone")


async def until_disconnect(receive: Receive) -> None:
    """Returns when the client goes away (only call it once the request body has been read)."""
    while (await receive())["type"] != "http.disconnect":
        pass


async def _cancel(task: asyncio.Future) -> None:
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError, RelayError):
        await task


async def unless_client_leaves(work: Awaitable[T], receive: Receive, rid: str) -> T:
    """`work`'s result, or `client_gone` (after cancelling `work`) if the client disconnects
    first. A settle `work` already started is shielded by the pipeline and completes: a reply
    fully produced is paid for even if nobody reads it."""
    task = asyncio.ensure_future(work)
    watcher = asyncio.ensure_future(until_disconnect(receive))
    try:
        await asyncio.wait({task, watcher}, return_when=asyncio.FIRST_COMPLETED)
        if task.done():
            return task.result()
        await _cancel(task)
        log.info("request %s: the client left before the upstream answered; upstream call cancelled", rid)
        raise client_gone()
    finally:
        watcher.cancel()
        if not task.done():  # we are being cancelled ourselves (server shutdown): stop the upstream too
            await _cancel(task)
