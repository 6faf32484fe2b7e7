"""Daily check-in (new-api's `checkin_setting.*`): a random award in [min_quota, max_quota], once
per user per day.

"Once" is the database's word, not a read-then-write: the `checkins` row (unique user + date) is
inserted first and the quota added in the same transaction, so of any number of concurrent posts
exactly one inserts; the others hit the unique constraint and credit nothing.
"""

from __future__ import annotations

import re
import secrets
import time
from typing import Any

from sqlalchemy import func, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from backend.db import session_scope
from backend.models import Checkin, User
from backend.models.enums import LogType
from backend.services import activity_log, options, topups
from backend.services.errors import ServiceError, msg

_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


def settings() -> dict[str, Any]:
    low = max(options.get_int("checkin_setting.min_quota", 0), 0)
    high = max(options.get_int("checkin_setting.max_quota", 0), low)
    return {"enabled": options.get_bool("checkin_setting.enabled"), "min_quota": low, "max_quota": high}


def today() -> str:
    """The server's local date, as new-api (Go's time.Now) uses."""
    return time.strftime("%Y-%m-%d")


def _require_enabled() -> dict[str, Any]:
    conf = settings()
    if not conf["enabled"]:
        raise ServiceError(msg("check-in is not enabled"))
    return conf


def check_in(user: User) -> dict[str, Any]:
    conf = _require_enabled()
    award = conf["min_quota"] + secrets.randbelow(conf["max_quota"] - conf["min_quota"] + 1)
    date = today()
    try:
        with session_scope() as s:
            s.add(Checkin(user_id=user.id, checkin_date=date, quota_awarded=award, created_at=int(time.time())))
            s.flush()
            s.execute(update(User).where(col(User.id) == user.id).values(quota=User.quota + award))
    except IntegrityError:
        raise ServiceError(msg("you have already checked in today")) from None
    topups.after_credit(user.id, user.username, award,
                        f"daily check-in: awarded {activity_log.format_quota(award)}", LogType.SYSTEM)
    return {"quota_awarded": award, "checkin_date": date}


def stats(user_id: int, month: str | None = None) -> dict[str, Any]:
    conf = _require_enabled()
    month = month or time.strftime("%Y-%m")
    if not _MONTH.match(month):
        raise ServiceError(msg("month must look like YYYY-MM"))
    with session_scope() as s:
        rows = s.exec(
            select(Checkin).where(Checkin.user_id == user_id, Checkin.checkin_date >= f"{month}-01",
                                  col(Checkin.checkin_date) <= f"{month}-31").order_by(col(Checkin.checkin_date).desc())
        ).all()
        total, quota = s.exec(
            select(func.count(), func.coalesce(func.sum(Checkin.quota_awarded), 0)).where(Checkin.user_id == user_id)
        ).one()
        done_today = s.exec(select(Checkin.id).where(Checkin.user_id == user_id,
                                                     Checkin.checkin_date == today())).first() is not None
    return {**conf, "stats": {
        "total_quota": int(quota), "total_checkins": int(total), "checkin_count": len(rows),
        "checked_in_today": done_today,
        "records": [{"checkin_date": r.checkin_date, "quota_awarded": r.quota_awarded} for r in rows],
    }}
