"""WeChat login through new-api's companion server (WeChat Server): the user scans the account's QR
code, gets a code in the chat, and the code is verified server-to-server at
`<WeChatServerAddress>/api/wechat/user?code=` (header `Authorization: <WeChatServerToken>`), which
answers `{success, message, data: <wechat id>}`."""

from __future__ import annotations

import httpx

from backend.config import get_settings
from backend.models import User
from backend.services import oauth_accounts, options
from backend.services.errors import ServiceError, msg

KIND = oauth_accounts.AccountKind("wechat", "WeChat", "wechat_id")


def _require_enabled() -> None:
    if not options.get_bool("WeChatAuthEnabled"):
        raise ServiceError(msg("WeChat login is not enabled by the administrator"), 403)


def wechat_id(code: str) -> str:
    code = code.strip()
    if not code or len(code) > 128:
        raise ServiceError(msg("the verification code is missing or invalid"))
    base = options.get("WeChatServerAddress").rstrip("/")
    try:
        reply = httpx.get(f"{base}/api/wechat/user", params={"code": code},
                          headers={"Authorization": options.get("WeChatServerToken")},
                          timeout=get_settings().OAUTH_HTTP_TIMEOUT)
        body = reply.json()
    except (httpx.HTTPError, ValueError) as exc:
        raise ServiceError(msg("could not reach the WeChat server, please try again"), 502) from exc
    if not isinstance(body, dict) or not body.get("success") or not isinstance(body.get("data"), str) \
            or not body["data"]:
        raise ServiceError(msg("the verification code is wrong or has expired"))
    return body["data"]


def login(code: str) -> User:
    _require_enabled()
    return oauth_accounts.login_or_register(KIND, wechat_id(code), oauth_accounts.NewAccount(display_name="WeChat User"))


def bind(code: str, user_id: int) -> None:
    _require_enabled()
    oauth_accounts.bind(KIND, wechat_id(code), user_id)
