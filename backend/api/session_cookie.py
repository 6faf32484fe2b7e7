"""Setting and dropping the cookies of a login: the session cookie once a login is complete, and
the 2FA flow cookie (backend/services/twofa_login.py) while its second step is pending."""

from __future__ import annotations

from fastapi import Request, Response

from backend.services import sessions, twofa_login


def over_https(request: Request) -> bool:
    return request.url.scheme == "https"


def start_session(request: Request, response: Response, user_id: int) -> None:
    response.set_cookie(value=sessions.start(user_id), **sessions.cookie_kwargs(https=over_https(request)))


def drop_session_cookie(request: Request, response: Response) -> None:
    kw = sessions.cookie_kwargs(https=over_https(request))
    response.delete_cookie(kw["key"], path=kw["path"], httponly=True, samesite=kw["samesite"], secure=kw["secure"])


def _flow_kwargs(request: Request) -> dict:
    secure = sessions.cookie_kwargs(https=over_https(request))["secure"]
    return {"path": twofa_login.COOKIE_PATH, "httponly": True, "samesite": "strict", "secure": secure}


def set_flow_cookie(request: Request, response: Response, token: str) -> None:
    response.set_cookie(twofa_login.COOKIE_NAME, token, max_age=twofa_login.TTL_SECONDS, **_flow_kwargs(request))


def drop_flow_cookie(request: Request, response: Response) -> None:
    response.delete_cookie(twofa_login.COOKIE_NAME, **_flow_kwargs(request))
