"""`/api/oauth/...`: the OAuth state, the callback of every OAuth provider, WeChat and email bind.

Specific paths are declared before `/oauth/{provider}` (new-api's order). The callback checks the
state against the browser that asked for it before any provider is contacted.
"""

from __future__ import annotations

from fastapi import APIRouter, Body, Depends, Request, Response

from backend.api.deps import CurrentUser
from backend.api.login_grant import browser_cookie, grant, session_user
from backend.api.ratelimit import critical_limit
from backend.api.responses import fail, ok
from backend.api.types import ApiModel
from backend.services import browser_binding, email_bind, oauth_login, oauth_state, wechat_login
from backend.services.errors import ServiceError, msg

router = APIRouter(prefix="/oauth", tags=["oauth"], dependencies=[Depends(critical_limit)])


class CodeIn(ApiModel):
    code: str = ""


class EmailBindIn(ApiModel):
    email: str = ""
    code: str = ""


@router.get("/state")
def state(request: Request, response: Response, aff: str = "") -> dict:
    return ok(oauth_state.issue(browser_cookie(request, response), aff.strip()))


@router.post("/email/bind")
def bind_email(user: CurrentUser, body: EmailBindIn | None = Body(None), email: str = "", code: str = "") -> dict:
    """new-api takes `email` and `code` as query parameters; a JSON body works too."""
    email = ((body.email if body else "") or email).strip().lower()
    code = ((body.code if body else "") or code).strip()
    email_bind.bind(user.id, email, code)
    return ok()


@router.get("/wechat")
def wechat(request: Request, response: Response, code: str = "") -> dict:
    return grant(wechat_login.login(code), request, response)


@router.post("/wechat/bind")
def wechat_bind(user: CurrentUser, body: CodeIn) -> dict:
    wechat_login.bind(body.code, user.id)
    return ok()


@router.get("/{provider}", response_model=None)
def callback(provider: str, request: Request, response: Response, code: str = "", state: str = "",
             error: str = "", error_description: str = "") -> Response | dict:
    p = oauth_login.provider(provider)
    record = oauth_state.consume(request.cookies.get(browser_binding.COOKIE_NAME), state)
    if error:
        return fail(error_description[:200] or f"{p.name} refused the login", 400)
    current = session_user(request)
    outcome = oauth_login.complete(p, code, current=current, aff=str(record.get("aff") or ""))
    if outcome.action == "bind":
        return ok({"action": "bind"}, f"{p.name} account bound")
    if outcome.user is None:
        raise ServiceError(msg("login failed"))
    return grant(outcome.user, request, response)

