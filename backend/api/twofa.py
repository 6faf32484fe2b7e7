"""`/api/user/2fa/*` (TOTP two-factor, new-api's `controller/twofa.go`) and `/api/user/login/2fa`,
the second step of a password login."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request, Response

from backend.api.deps import AdminUser, CurrentUser
from backend.api.ratelimit import critical_limit
from backend.api.responses import ok
from backend.api.session_cookie import drop_flow_cookie, start_session
from backend.api.types import ApiModel, Int64
from backend.services import twofa, twofa_login, users

router = APIRouter(prefix="/user", tags=["2fa"])


class CodeIn(ApiModel):
    code: str = ""


class LoginCodeIn(ApiModel):
    code: str = ""
    flow_token: str = ""


@router.get("/2fa/status")
def get_status(user: CurrentUser) -> dict:
    return ok(twofa.status(user.id))


@router.post("/2fa/setup")
def setup(user: CurrentUser) -> dict:
    return ok(twofa.setup(user.id), "scan the QR code with an authenticator app, then enter its code to finish")


@router.post("/2fa/enable")
def enable(user: CurrentUser, body: CodeIn) -> dict:
    twofa.enable(user.id, body.code)
    return ok(message="two-factor authentication is on")


@router.post("/2fa/disable")
def disable(user: CurrentUser, body: CodeIn) -> dict:
    twofa.disable(user.id, body.code)
    return ok(message="two-factor authentication is off")


@router.post("/2fa/backup_codes")
def backup_codes(user: CurrentUser, body: CodeIn) -> dict:
    return ok({"backup_codes": twofa.regenerate_backup_codes(user.id, body.code)}, "new backup codes made")


@router.get("/2fa/stats")
def stats(_admin: AdminUser) -> dict:
    return ok(twofa.stats())


@router.delete("/{user_id:int}/2fa")
def admin_disable(admin: AdminUser, user_id: Int64) -> dict:
    twofa.admin_disable(admin, user_id)
    return ok(message="the user's 2FA has been switched off")


@router.post("/login/2fa", dependencies=[Depends(critical_limit)])
def login_second_step(body: LoginCodeIn, request: Request, response: Response) -> dict:
    """The code (TOTP or backup) after a password login that answered `require_2fa`; the flow
    token comes from the body or from the HttpOnly cookie that login set."""
    token = body.flow_token or request.cookies.get(twofa_login.COOKIE_NAME)
    user = twofa_login.finish(token, body.code)
    start_session(request, response, user.id)
    drop_flow_cookie(request, response)
    return ok(users.public_user(user))
