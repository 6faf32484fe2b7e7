"""`POST /api/auth/external/<slug>/jwt/login` and `/header/login`: custom providers of kind
jwt_direct and trusted_header (new-api's routes). The JWT login needs the browser's OAuth state."""

from __future__ import annotations

from fastapi import APIRouter, Body, Depends, Request, Response

from backend.api.login_grant import grant, session_user
from backend.api.ratelimit import critical_limit
from backend.api.responses import ok
from backend.api.types import ApiModel
from backend.services import browser_binding, external_login, oauth_state

router = APIRouter(prefix="/auth/external", tags=["oauth"], dependencies=[Depends(critical_limit)])


class JWTLoginIn(ApiModel):
    state: str = ""
    token: str = ""
    id_token: str = ""
    jwt: str = ""
    ticket: str = ""


def _answer(action: str, user, request: Request, response: Response) -> dict:  # noqa: ANN001
    if action == "bind":
        return ok({"action": "bind"}, "account bound")
    return grant(user, request, response)


@router.post("/{provider}/jwt/login")
def jwt_login(provider: str, request: Request, response: Response, body: JWTLoginIn = Body(...)) -> dict:
    p = external_login.provider(provider, "jwt_direct")
    oauth_state.consume(request.cookies.get(browser_binding.COOKIE_NAME), body.state.strip())
    raw = body.token or body.id_token or body.jwt
    external = external_login.jwt_identity(p, raw, body.ticket, external_login.callback_url(p), body.state.strip())
    action, user = external_login.settle(p, external, session_user(request))
    return _answer(action, user, request, response)


@router.post("/{provider}/header/login")
def header_login(provider: str, request: Request, response: Response) -> dict:
    p = external_login.provider(provider, "trusted_header")
    peer = request.client.host if request.client else ""
    external = external_login.header_identity(p, peer, request.headers)
    action, user = external_login.settle(p, external, session_user(request))
    return _answer(action, user, request, response)
