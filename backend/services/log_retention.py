"""Log retention: usage and error logs older than `LogRetentionDays` days are deleted once a day.

0 (the default, as new-api, which keeps logs until an admin deletes them with `DELETE /api/log/`)
keeps everything. Deletion is `log_queries.delete_before`'s (batches of short transactions). Only the
master node runs the job (NODE_TYPE), like new-api's other background jobs.
"""

from __future__ import annotations

import asyncio
import logging
import time

from backend import lifecycle
from backend.config import get_settings
from backend.services import log_queries, options

log = logging.getLogger("newapi.logs")

DAY = 86_400
FIRST_RUN_S = 300.0  # after start-up, then daily


def prune(days: int, now: float | None = None) -> int:
    """Delete logs created more than `days` days ago; returns how many. Nothing when `days` <= 0."""
    if days <= 0:
        return 0
    return log_queries.delete_before(int(now if now is not None else time.time()) - days * DAY)


async def _run() -> None:
    days = options.get_int("LogRetentionDays")
    if days > 0:
        removed = await asyncio.to_thread(prune, days)
        if removed:
            log.info("log retention: %d rows older than %d days deleted", removed, days)


_runs = {"n": 0}


def _interval() -> float:
    _runs["n"] += 1
    return FIRST_RUN_S if _runs["n"] == 1 else float(DAY)


_job = lifecycle.PeriodicJob("newapi-log-retention", _interval, _run,
                             enabled=lambda: get_settings().NODE_TYPE != "slave")


@lifecycle.on_reset
def _reset() -> None:
    _runs["n"] = 0
