"""`/api/user/...` for the signed-in user (and the public login/register/logout)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Depends, Request, Response

from backend.api.deps import CurrentUser
from backend.api.ratelimit import critical_limit
from backend.api.responses import ApiResponse, ok
from backend.api.session_cookie import drop_session_cookie, set_flow_cookie, start_session
from backend.api.turnstile import turnstile_check
from backend.api.types import ApiModel, Int64
from backend.models.schemas.user import UserPublic, UserSelfUpdate
from backend.services import groups, redemptions, sessions, twofa, twofa_login, users
from backend.services.errors import ServiceError, msg

router = APIRouter(prefix="/user", tags=["user"])


class LoginIn(ApiModel):
    username: str = ""
    password: str = ""


class RegisterIn(ApiModel):
    username: str
    password: str
    email: str = ""
    verification_code: str = ""
    aff_code: str = ""


class TopUpIn(ApiModel):
    key: str


class AffTransferIn(ApiModel):
    quota: Int64


@router.post("/login", dependencies=[Depends(critical_limit), Depends(turnstile_check)])
def login(body: LoginIn, request: Request, response: Response) -> dict:
    """With 2FA on, a right password grants no session yet: the reply says `require_2fa` and
    carries a 5-minute flow token (also set as a cookie) for `POST /api/user/login/2fa`."""
    user = users.login(body.username.strip(), body.password)
    if twofa.is_enabled(user.id):
        flow = twofa_login.begin(user)
        set_flow_cookie(request, response, flow["flow_token"])
        return ok(flow, "enter the code of your authenticator app or a backup code")
    start_session(request, response, user.id)
    return ok(users.public_user(user))


@router.get("/logout")
def logout(request: Request, response: Response) -> dict:
    """Ends the session on the server too: the cookie, replayed, no longer opens anything."""
    sessions.end(request.cookies.get(sessions.COOKIE_NAME))
    drop_session_cookie(request, response)
    return ok()


@router.post("/register", dependencies=[Depends(critical_limit), Depends(turnstile_check)])
def register(body: RegisterIn) -> ApiResponse[UserPublic]:
    user = users.register(
        body.username.strip(), body.password, body.email.strip(), body.aff_code.strip(),
        body.verification_code.strip(),
    )
    return ApiResponse(data=users.public_user(user))


@router.get("/self")
def get_self(user: CurrentUser) -> ApiResponse[UserPublic]:
    return ApiResponse(data=users.self_view(user))


@router.put("/self")
def update_self(user: CurrentUser, body: UserSelfUpdate, request: Request) -> ApiResponse[UserPublic]:
    """A new password ends the user's other sessions and the access token; this one stays."""
    updated = users.update_self(user.id, body, keep_session=request.cookies.get(sessions.COOKIE_NAME))
    return ApiResponse(data=users.public_user(updated))


@router.delete("/self")
def delete_self(user: CurrentUser, request: Request, response: Response) -> ApiResponse[None]:
    users.delete_self(user.id)
    drop_session_cookie(request, response)
    return ApiResponse(data=None)


@router.get("/token")
def rotate_token(user: CurrentUser) -> ApiResponse[str]:
    """The new personal access token, shown this once."""
    return ApiResponse(data=users.rotate_access_token(user.id))


@router.get("/aff")
def aff(user: CurrentUser) -> ApiResponse[str]:
    return ApiResponse(data=users.aff_code(user.id))


@router.post("/aff_transfer")
def aff_transfer(user: CurrentUser, body: AffTransferIn) -> ApiResponse[None]:
    users.transfer_aff_quota(user.id, body.quota)
    return ApiResponse(data=None)


@router.get("/groups")
@router.get("/self/groups")
def user_groups(user: CurrentUser) -> dict:
    return ok(groups.usable_groups_with_ratio(user.group))


@router.get("/models")
def user_models(user: CurrentUser) -> ApiResponse[list[str]]:
    return ApiResponse(data=users.models_for_group(user.group))


@router.post("/topup")
def topup(user: CurrentUser, body: TopUpIn) -> ApiResponse[int]:
    """Redeem a code; `data` is the quota it added."""
    return ApiResponse(data=redemptions.redeem(user, body.key))


@router.put("/setting")
def update_setting(user: CurrentUser, body: dict[str, Any] = Body(...)) -> dict:  # noqa: B008
    if not isinstance(body, dict):
        raise ServiceError(msg("the body must be a JSON object"))
    return ok(users.update_setting(user.id, body))
