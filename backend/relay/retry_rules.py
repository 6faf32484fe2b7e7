"""What a failed upstream answer means for the next step: retry elsewhere, or answer with it.

One copy of each rule, used by live traffic (`attempts`) and by channel tests (`channel_test`), so
a test of a channel sees the status a caller would.
"""

from __future__ import annotations

from typing import Any

from backend.models.channel_types import ANTHROPIC_ID
from backend.relay.errors import RelayError

NO_RETRY_STATUS = frozenset({408, 504, 524})


def should_retry(err: RelayError, channel_type: int, pinned: bool) -> bool:
    """new-api's rules: never for local errors or a pinned channel; not for 2xx, 408, 504, 524,
    nor 400 (except on Anthropic channels); yes for 429, other 4xx, 5xx and 3xx."""
    if err.local or pinned:
        return False
    if 200 <= err.status < 300 or err.status in NO_RETRY_STATUS:
        return False
    if err.status == 400:
        return channel_type == ANTHROPIC_ID
    return True


def map_status(err: RelayError, mapping: dict[str, Any]) -> RelayError:
    """status_code_mapping (`{"429": "503"}`) rewrites the upstream status before any decision."""
    target = mapping.get(str(err.status)) if mapping else None
    try:
        code = int(str(target).strip()) if target is not None else 0
    except ValueError:
        code = 0
    return err.with_status(code) if 100 <= code <= 599 and code != err.status else err
