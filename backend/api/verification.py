"""Email codes and password reset: `/api/verification`, `/api/reset_password`, `/api/user/reset`."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from backend.api.ratelimit import critical_limit
from backend.api.responses import ok
from backend.api.types import ApiModel
from backend.services import verification

router = APIRouter(tags=["verification"], dependencies=[Depends(critical_limit)])


class ResetIn(ApiModel):
    email: str = ""
    token: str = ""


@router.get("/verification")
async def send_code(email: str = "") -> dict:
    await verification.send_email_code(email)
    return ok()


@router.get("/reset_password")
async def send_reset_link(email: str = "") -> dict:
    await verification.request_password_reset(email)
    return ok()


@router.post("/user/reset")
def reset(body: ResetIn) -> dict:
    """Like new-api, the new password is returned this once; it is stored only as a hash."""
    return ok(verification.reset_password(body.email, body.token))
