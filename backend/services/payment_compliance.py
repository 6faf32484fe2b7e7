"""The operator's payment compliance confirmation, which new-api requires before any online payment.

Root confirms once, from a logged-in console session, that they accept the payment terms of the
version in `TERMS_VERSION`; who, when and from where is recorded in the `payment_setting.compliance_*`
options. Until then no payment can be started and no invite rebate is paid. Notices for orders that
were already created are still honoured: money a user paid is credited whatever the switch says.
The options are written only here, never through `PUT /api/option/` (option_rules refuses them), so
the record of who confirmed cannot be forged by a plain option edit.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from backend.services import options
from backend.services.errors import ServiceError, msg

log = logging.getLogger("newapi.payments")

TERMS_VERSION = "v1"
PREFIX = "payment_setting.compliance_"
CONFIRMED = PREFIX + "confirmed"
VERSION = PREFIX + "terms_version"
CONFIRMED_AT = PREFIX + "confirmed_at"
CONFIRMED_BY = PREFIX + "confirmed_by"
CONFIRMED_IP = PREFIX + "confirmed_ip"


class NotConfirmed(ServiceError):
    def __init__(self) -> None:
        super().__init__(msg("online payment is unavailable until the administrator confirms the payment terms"), 403)


def is_compliance_key(key: str) -> bool:
    return key.startswith(PREFIX)


def confirmed() -> bool:
    return options.get_bool(CONFIRMED) and options.get(VERSION).strip() == TERMS_VERSION


def require() -> None:
    """Called before a payment starts (never before crediting an order already paid)."""
    if not confirmed():
        raise NotConfirmed()


def status() -> dict[str, Any]:
    return {
        "confirmed": confirmed(),
        "terms_version": options.get(VERSION).strip(),
        "current_terms_version": TERMS_VERSION,
        "confirmed_at": options.get_int(CONFIRMED_AT),
        "confirmed_by": options.get_int(CONFIRMED_BY),
    }


def confirm(user_id: int, ip: str) -> dict[str, Any]:
    now = int(time.time())
    options.replace({
        CONFIRMED: "true", VERSION: TERMS_VERSION, CONFIRMED_AT: str(now),
        CONFIRMED_BY: str(user_id), CONFIRMED_IP: ip[:64],
    }, [])
    log.info("payment compliance terms %s confirmed by user %d from %s", TERMS_VERSION, user_id, ip or "?")
    return {"confirmed": True, "terms_version": TERMS_VERSION, "confirmed_at": now, "confirmed_by": user_id}
