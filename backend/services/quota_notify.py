"""The quota warning: after a charge leaves a user below their threshold (their setting's
`quota_warning_threshold`, else QuotaRemindThreshold), tell them the way they chose.

`after_charge` is called by billing on the relay path and only compares two integers there; the
live balance is read and the notice sent on the notice thread (notify.py), throttled.
"""

from __future__ import annotations

from typing import Any

from backend.cache.entities import UserInfo
from backend.services import activity_log, ledger, notify, options

TITLE = "Your quota is running low"
CONTENT = ("{{value}}: your remaining quota is {{value}}. Please top up so your service is not interrupted."
           "<br/>Top up here: <a href='{{value}}'>{{value}}</a>")


def threshold(setting: dict[str, Any]) -> int:
    own = setting.get("quota_warning_threshold")
    if isinstance(own, int | float) and not isinstance(own, bool) and own > 0:
        return int(own)
    return options.get_int("QuotaRemindThreshold", 1000)


def after_charge(user: UserInfo, charged: int) -> bool:
    """True when a check was queued (the cached balance minus this charge is under the threshold)."""
    limit = threshold(user.setting)
    if charged <= 0 or user.quota - charged >= limit:
        return False
    to = notify.Recipient(user.id, user.email, dict(user.setting))

    async def check() -> str:
        remaining = ledger.get_ledger().user_quota(user.id)  # on the notice thread: a blocking read is fine
        if remaining >= limit:
            return "skipped: balance above the threshold"
        link = options.get("ServerAddress").rstrip("/") + "/topup"
        notice = notify.Notice(notify.QUOTA_EXCEED, TITLE, CONTENT,
                               (TITLE, activity_log.format_quota(remaining), link, link))
        return await notify.send_throttled(to, notice)

    return notify.enqueue(user.id, notify.QUOTA_EXCEED, check)
