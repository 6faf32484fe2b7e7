"""`/api/user/passkey/*` (new-api's `controller/passkey.go`) and the admin reset. The ceremony
token of a begin travels in an HttpOnly cookie scoped to /api/user/passkey; the finish bodies are
the browser's PublicKeyCredential JSON, as new-api's front end sends them."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Depends, Request, Response

from backend.api.deps import AdminUser, CurrentUser
from backend.api.ratelimit import critical_limit
from backend.api.responses import ok
from backend.api.session_cookie import over_https, start_session
from backend.api.types import Int64
from backend.services import passkeys, secure_verification, sessions, users

router = APIRouter(prefix="/user", tags=["passkey"])
COOKIE_NAME = "newapi_passkey"
COOKIE_PATH = "/api/user/passkey"


def _keep(request: Request, response: Response, token: str) -> None:
    secure = sessions.cookie_kwargs(https=over_https(request))["secure"]
    response.set_cookie(COOKIE_NAME, token, max_age=passkeys.TTL_SECONDS, path=COOKIE_PATH, httponly=True,
                        samesite="strict", secure=secure)


def _used(request: Request, response: Response) -> str | None:
    secure = sessions.cookie_kwargs(https=over_https(request))["secure"]
    response.delete_cookie(COOKIE_NAME, path=COOKIE_PATH, httponly=True, samesite="strict", secure=secure)
    return request.cookies.get(COOKIE_NAME)


@router.get("/passkey")
def passkey_status(user: CurrentUser) -> dict:
    return ok(passkeys.status(user.id))


@router.delete("/passkey")
def passkey_delete(user: CurrentUser, id: Int64 | None = None) -> dict:  # noqa: A002 (the query name)
    """All of the user's passkeys (new-api), or the one `?id=` names."""
    passkeys.delete_own(user.id, id)
    return ok(message="passkey removed")


@router.post("/passkey/register/begin")
def register_begin(user: CurrentUser, request: Request, response: Response) -> dict:
    options, token = passkeys.register_begin(user)
    _keep(request, response, token)
    return ok(options)


@router.post("/passkey/register/finish")
def register_finish(user: CurrentUser, request: Request, response: Response,
                    credential: Any = Body(None)) -> dict:  # noqa: B008
    row = passkeys.register_finish(user, _used(request, response), credential)
    return ok(row, "passkey registered")


@router.post("/passkey/verify/begin")
def verify_begin(user: CurrentUser, request: Request, response: Response) -> dict:
    options, token = passkeys.verify_begin(user)
    _keep(request, response, token)
    return ok(options)


@router.post("/passkey/verify/finish")
def verify_finish(user: CurrentUser, request: Request, response: Response,
                  credential: Any = Body(None)) -> dict:  # noqa: B008
    """A passed check lets `POST /api/verify {method: "passkey"}` verify this session (60 s)."""
    passkeys.verify_finish(user, _used(request, response), credential)
    secure_verification.mark_passkey_ready(request.cookies.get(sessions.COOKIE_NAME), user.id)
    return ok(message="passkey verified")


@router.post("/passkey/login/begin", dependencies=[Depends(critical_limit)])
def login_begin(request: Request, response: Response) -> dict:
    options, token = passkeys.login_begin()
    _keep(request, response, token)
    return ok(options)


@router.post("/passkey/login/finish", dependencies=[Depends(critical_limit)])
def login_finish(request: Request, response: Response, credential: Any = Body(None)) -> dict:  # noqa: B008
    user = passkeys.login_finish(_used(request, response), credential)
    start_session(request, response, user.id)
    return ok(users.public_user(user))


@router.delete("/{user_id:int}/reset_passkey")
def admin_reset(admin: AdminUser, user_id: Int64) -> dict:
    passkeys.admin_reset(admin, user_id)
    return ok(message="the user's passkeys have been removed")
