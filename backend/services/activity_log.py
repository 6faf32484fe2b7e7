"""Writes the rare, unbuffered log rows: top-ups, admin actions, system notes (not consume logs).

`content` is the row's text as new-api writes it (one language, for API readers and exports);
`other` carries the same facts as JSON (`event` plus its values: ids, names, quota units), so the
console can say them in the reader's language and money format instead of echoing `content`.
"""

from __future__ import annotations

import json
import time
from typing import Any

from backend.db import log_session_scope
from backend.models import Log
from backend.models.enums import LogType
from backend.services import options


def record(user_id: int, username: str, log_type: LogType, content: str, quota: int = 0,
           other: dict[str, Any] | None = None) -> None:
    with log_session_scope() as s:
        s.add(
            Log(
                user_id=user_id,
                username=username,
                type=int(log_type),
                content=content,
                quota=quota,
                created_at=int(time.time()),
                other=json.dumps(other, ensure_ascii=False) if other else "",
            )
        )


def format_quota(quota: int) -> str:
    """Quota as dollars when the site displays currency, else as raw units (new-api's LogQuota)."""
    if options.get_bool("DisplayInCurrencyEnabled"):
        per_unit = options.get_float("QuotaPerUnit") or 500000.0
        return f"${quota / per_unit:.6f}"
    return f"{quota} quota"
