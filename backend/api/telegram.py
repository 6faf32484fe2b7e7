"""Telegram: the login widget (`/api/oauth/telegram/{login,bind}`, new-api's), the bot login
(`/api/oauth/telegram/bot/{start,poll}`) and the bot's webhook (`/api/telegram/webhook`), ours.

Declared before `/api/oauth/{provider}`.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse, RedirectResponse

from backend.api.login_grant import browser_cookie, grant, session_user
from backend.api.ratelimit import critical_limit
from backend.api.responses import fail, ok
from backend.models.enums import UserStatus
from backend.services import browser_binding, oauth_accounts, options, telegram_bot, telegram_widget
from backend.services.errors import ServiceError, Unauthorized, msg

log = logging.getLogger(__name__)

router = APIRouter(tags=["telegram"])
limited = APIRouter(prefix="/oauth/telegram", tags=["telegram"], dependencies=[Depends(critical_limit)])
SETTINGS_PAGE = "/setting"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
MAX_UPDATE_BYTES = 1024 * 1024


def _widget_fields(request: Request) -> dict[str, str]:
    return {k: v for k, v in request.query_params.items()}


@limited.get("/login")
def widget_login(request: Request, response: Response) -> dict:
    """Only a Telegram id already bound to an account logs in (new-api's rule: no registration)."""
    uid = telegram_widget.verified_id(_widget_fields(request))
    user = oauth_accounts.find_user(telegram_widget.KIND, uid)
    if user is None:
        raise ServiceError(msg("this Telegram account is not bound to any user; log in and bind it first"), 403)
    if user.status != UserStatus.ENABLED:
        raise ServiceError(msg("this user has been disabled"), 403)
    return grant(user, request, response)


@limited.get("/bind", response_model=None)
def widget_bind(request: Request) -> RedirectResponse:
    """The widget's auth URL for a logged-in user: bind, then back to the settings page."""
    current = session_user(request)
    if current is None:
        raise Unauthorized(msg("log in first to bind a Telegram account"))
    uid = telegram_widget.verified_id(_widget_fields(request))
    oauth_accounts.bind(telegram_widget.KIND, uid, current.id)
    return RedirectResponse(SETTINGS_PAGE, status_code=302)


@limited.post("/bot/start")
def bot_start(request: Request, response: Response) -> dict:
    started = telegram_bot.start(browser_cookie(request, response))
    return ok({"nonce": started.nonce, "url": started.url})


@limited.get("/bot/poll", response_model=None)
def bot_poll(request: Request, response: Response, nonce: str = "") -> dict | JSONResponse:
    result = telegram_bot.poll(request.cookies.get(browser_binding.COOKIE_NAME), nonce, session_user(request))
    if result.action == telegram_bot.PENDING:
        return JSONResponse({"success": False, "message": "", "data": telegram_bot.PENDING})
    if result.action == "bind":
        return ok({"action": "bind"}, "Telegram account bound")
    assert result.user is not None
    return grant(result.user, request, response)


@router.post("/telegram/webhook", response_model=None)
async def webhook(request: Request) -> dict | Response:
    """Telegram's Updates. Without the configured secret header nothing happens (401 / 403)."""
    expected = options.get("TelegramWebhookSecret")
    given = request.headers.get(SECRET_HEADER, "")
    if not given:
        return fail("missing webhook secret", 401)
    if not expected or not hmac.compare_digest(given.encode(), expected.encode()):
        return fail("wrong webhook secret", 403)
    if not telegram_bot.enabled():
        return fail("Telegram login is not enabled", 403)
    raw = await request.body()
    if len(raw) > MAX_UPDATE_BYTES:
        return fail("update too large", 413)
    try:
        update = json.loads(raw)
    except ValueError:
        return fail("the update is not JSON")
    if not isinstance(update, dict):
        return fail("the update must be a JSON object")
    try:
        await telegram_bot.handle_update(update)
    except asyncio.CancelledError:
        raise
    except Exception:  # answered 200 anyway: Telegram would re-send a failing update for hours
        log.exception("telegram update failed")
    return ok()


router.include_router(limited)
