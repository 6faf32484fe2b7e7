"""`/api/user/checkin`: GET the month's check-ins and settings, POST to check in (once a day)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from backend.api.deps import CurrentUser
from backend.api.responses import ok
from backend.services import checkins

router = APIRouter(prefix="/user", tags=["checkin"])


@router.get("/checkin")
def checkin_status(user: CurrentUser, month: Annotated[str, Query()] = "") -> dict:
    return ok(checkins.stats(user.id, month.strip() or None))


@router.post("/checkin")
def do_checkin(user: CurrentUser) -> dict:
    return ok(checkins.check_in(user), "checked in")
