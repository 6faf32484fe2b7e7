"""The Telegram Login Widget's signature (https://core.telegram.org/widgets/login#checking-authorization).

The widget hands the browser `id, first_name, ..., auth_date, hash`; `hash` is hex
HMAC-SHA256 keyed by SHA256(bot token) over the other fields as sorted `k=v` lines. It is compared
in constant time, and, stricter than new-api, an `auth_date` older than a day (or from the
future) is refused, so a leaked widget URL does not log in forever.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Mapping

from backend.services import oauth_accounts, options
from backend.services.errors import ServiceError, msg

MAX_AGE_SECONDS = 24 * 3600
CLOCK_SKEW_SECONDS = 300
KIND = oauth_accounts.AccountKind("telegram", "Telegram", "telegram_id")


def signature(fields: Mapping[str, str], bot_token: str) -> str:
    lines = "\n".join(f"{k}={fields[k]}" for k in sorted(fields) if k != "hash")
    key = hashlib.sha256(bot_token.encode()).digest()
    return hmac.new(key, lines.encode(), hashlib.sha256).hexdigest()


def verified_id(fields: Mapping[str, str], now: float | None = None) -> str:
    """The Telegram user id of genuine, fresh widget data; ServiceError otherwise."""
    if not options.get_bool("TelegramOAuthEnabled"):
        raise ServiceError(msg("Telegram login is not enabled by the administrator"), 403)
    token = options.get("TelegramBotToken")
    given = fields.get("hash", "")
    if not token or not given or not hmac.compare_digest(signature(fields, token).encode(), given.lower().encode()):
        raise ServiceError(msg("invalid Telegram login data"), 401)
    try:
        issued = int(fields.get("auth_date", ""))
    except ValueError as exc:
        raise ServiceError(msg("invalid Telegram login data"), 401) from exc
    current = time.time() if now is None else now
    if current - issued > MAX_AGE_SECONDS or issued - current > CLOCK_SKEW_SECONDS:
        raise ServiceError(msg("the Telegram login data has expired, please log in again"), 401)
    uid = fields.get("id", "").strip()
    if not uid.isdigit():
        raise ServiceError(msg("invalid Telegram login data"), 401)
    return uid
