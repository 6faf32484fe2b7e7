"""`/api/user/...` for the signed-in user (and the public login/register/logout)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Depends, Request, Response

from backend.api.deps import CurrentUser
from backend.api.ratelimit import critical_limit
from backend.api.responses import ok
from backend.api.types import ApiModel, Int64
from backend.services import groups, redemptions, sessions, users
from backend.services.errors import ServiceError

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


class SelfUpdateIn(ApiModel):
    username: str | None = None
    display_name: str | None = None
    password: str | None = None
    original_password: str | None = None


class TopUpIn(ApiModel):
    key: str


class AffTransferIn(ApiModel):
    quota: Int64


def _over_https(request: Request) -> bool:
    return request.url.scheme == "https"


def _drop_cookie(request: Request, response: Response) -> None:
    kw = sessions.cookie_kwargs(https=_over_https(request))
    response.delete_cookie(kw["key"], path=kw["path"], httponly=True, samesite=kw["samesite"], secure=kw["secure"])


@router.post("/login", dependencies=[Depends(critical_limit)])
def login(body: LoginIn, request: Request, response: Response) -> dict:
    user = users.login(body.username.strip(), body.password)
    response.set_cookie(value=sessions.start(user.id), **sessions.cookie_kwargs(https=_over_https(request)))
    return ok(users.public_user(user))


@router.get("/logout")
def logout(request: Request, response: Response) -> dict:
    """Ends the session on the server too: the cookie, replayed, no longer opens anything."""
    sessions.end(request.cookies.get(sessions.COOKIE_NAME))
    _drop_cookie(request, response)
    return ok()


@router.post("/register", dependencies=[Depends(critical_limit)])
def register(body: RegisterIn) -> dict:
    user = users.register(
        body.username.strip(), body.password, body.email.strip(), body.aff_code.strip(),
        body.verification_code.strip(),
    )
    return ok(users.public_user(user))


@router.get("/self")
def get_self(user: CurrentUser) -> dict:
    return ok(users.self_view(user))


@router.put("/self")
def update_self(user: CurrentUser, body: SelfUpdateIn, request: Request) -> dict:
    """A new password ends the user's other sessions and the access token; this one stays."""
    updated = users.update_self(
        user.id, username=body.username, display_name=body.display_name,
        password=body.password, original_password=body.original_password,
        keep_session=request.cookies.get(sessions.COOKIE_NAME),
    )
    return ok(users.public_user(updated))


@router.delete("/self")
def delete_self(user: CurrentUser, request: Request, response: Response) -> dict:
    users.delete_self(user.id)
    _drop_cookie(request, response)
    return ok()


@router.get("/token")
def rotate_token(user: CurrentUser) -> dict:
    return ok(users.rotate_access_token(user.id))


@router.get("/aff")
def aff(user: CurrentUser) -> dict:
    return ok(users.aff_code(user.id))


@router.post("/aff_transfer")
def aff_transfer(user: CurrentUser, body: AffTransferIn) -> dict:
    users.transfer_aff_quota(user.id, body.quota)
    return ok()


@router.get("/groups")
@router.get("/self/groups")
def user_groups(user: CurrentUser) -> dict:
    return ok(groups.usable_groups_with_ratio(user.group))


@router.get("/models")
def user_models(user: CurrentUser) -> dict:
    return ok(users.models_for_group(user.group))


@router.post("/topup")
def topup(user: CurrentUser, body: TopUpIn) -> dict:
    return ok(redemptions.redeem(user, body.key))


@router.put("/setting")
def update_setting(user: CurrentUser, body: dict[str, Any] = Body(...)) -> dict:  # noqa: B008
    if not isinstance(body, dict):
        raise ServiceError("the body must be a JSON object")
    return ok(users.update_setting(user.id, body))
