"""How many management-API calls run their database work at once.

FastAPI runs sync routes and dependencies on AnyIO's worker threads (40 by default), and each
such call holds at most one console connection at a time (see `deps`). With fewer console
connections than threads (a small SQL_MAX_OPEN_CONNS), the extra threads would only queue inside
the pool, each holding a thread, until POOL_TIMEOUT_S turned them into 503s. So the thread limit is
lowered to the console pool's size: surplus calls wait on the event loop, holding nothing.
"""

from __future__ import annotations

import anyio.to_thread

from backend import lifecycle
from backend.config import get_settings
from backend.db import pool_sizes


def thread_limit(default: int) -> int:
    """The worker threads for sync routes: AnyIO's default, or fewer when the pool is smaller."""
    return max(1, min(default, pool_sizes(get_settings())[0].open))


@lifecycle.on_startup
async def _bound_threads() -> None:
    # The limiter is per event loop: set on the serving loop, at start-up.
    limiter = anyio.to_thread.current_default_thread_limiter()
    limiter.total_tokens = thread_limit(int(limiter.total_tokens))
