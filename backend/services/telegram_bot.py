"""Telegram bot login (ours): the browser gets a link `https://t.me/<bot>?start=<nonce>`, the person
taps it, Telegram delivers `/start <nonce>` to the bot (webhook or polling), and the browser's poll
then logs in the account bound to that Telegram id (registering one when allowed).

A nonce (32 URL-safe characters) is single-use, lives 10 minutes, and is bound to the browser that
started it (its binding cookie): another browser polling it gets nothing. It is kept in the nonce
store (Redis, or the database), so the webhook may land on any instance. The bot answers in the
chat through python-telegram-bot against TELEGRAM_API_BASE.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import secrets
from dataclasses import dataclass
from typing import Any

from telegram import Bot, Update
from telegram.error import TelegramError

from backend import lifecycle
from backend.config import get_settings
from backend.models import User
from backend.services import browser_binding, nonces, oauth_accounts, options
from backend.services.errors import Forbidden, ServiceError, msg
from backend.services.telegram_widget import KIND

log = logging.getLogger(__name__)

NONCE_KIND = "telegram_bot_login"
TTL_SECONDS = 600
NONCE_RE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_START = re.compile(r"^/start(?:@\w+)?(?:\s+(\S+))?\s*$")
PENDING = "pending"

REPLY_OK = "You are logged in. Go back to your browser to continue."
REPLY_BOUND = "Your Telegram account is now bound. Go back to your browser to continue."
REPLY_EXPIRED = "This login link has expired or was already used. Start again from the login page."
REPLY_HELLO = "Open the login page and tap the Telegram login link to sign in."


@dataclass(frozen=True)
class Started:
    nonce: str
    url: str


def enabled() -> bool:
    return (options.get_bool("TelegramOAuthEnabled") and bool(options.get("TelegramBotToken"))
            and bool(options.get("TelegramBotName")))


def _require_enabled() -> None:
    if not enabled():
        raise ServiceError(msg("Telegram login is not enabled by the administrator"), 403)


def start(browser_cookie: str) -> Started:
    _require_enabled()
    fp = browser_binding.fingerprint(browser_cookie)
    if fp is None:
        raise Forbidden(msg("invalid browser binding"))
    nonce = secrets.token_urlsafe(24)
    nonces.put(NONCE_KIND, nonce, {"browser": fp, "status": PENDING}, TTL_SECONDS)
    return Started(nonce, f"https://t.me/{options.get('TelegramBotName').lstrip('@')}?start={nonce}")


def bot() -> Bot:
    root = get_settings().TELEGRAM_API_BASE.rstrip("/")
    return Bot(options.get("TelegramBotToken"), base_url=f"{root}/bot", base_file_url=f"{root}/file/bot")


def mark_seen(nonce: str, telegram_id: str, username: str = "", first_name: str = "") -> bool:
    """The bot saw `/start <nonce>` from this Telegram user: the nonce may now log in (once).
    Atomic, so a repeated or concurrent `/start` cannot rewrite a nonce already seen or used."""
    if not NONCE_RE.match(nonce):
        return False

    def seen(record: dict[str, Any]) -> dict[str, Any]:
        record.update(status="seen", telegram_id=telegram_id, username=username[:20], first_name=first_name[:20])
        return record

    return nonces.update_if(NONCE_KIND, nonce, lambda r: r.get("status") == PENDING, seen)


@dataclass(frozen=True)
class PollResult:
    action: str  # "pending", "login" or "bind"
    user: User | None = None


def poll(browser_cookie: str | None, nonce: str, current: User | None) -> PollResult:
    """`pending` until the bot has seen the nonce; then, once, the login (or the bind, for a
    browser that is logged in already)."""
    _require_enabled()
    if not NONCE_RE.match(nonce or ""):
        raise ServiceError(msg("invalid login nonce"))
    record = nonces.get(NONCE_KIND, nonce)
    if record is None:
        raise ServiceError(msg("this login link has expired, please start again"))
    if not browser_binding.same(record.get("browser"), browser_cookie):
        raise Forbidden(msg("this login link belongs to another browser"))
    if record.get("status") == PENDING:
        return PollResult(PENDING)
    taken = nonces.take(NONCE_KIND, nonce)
    if taken is None or taken.get("status") == PENDING:
        raise ServiceError(msg("this login link has expired, please start again"))
    telegram_id = str(taken.get("telegram_id") or "")
    if current is not None:
        oauth_accounts.bind(KIND, telegram_id, current.id)
        return PollResult("bind")
    new = oauth_accounts.NewAccount(str(taken.get("username") or ""), str(taken.get("first_name") or ""))
    return PollResult("login", oauth_accounts.login_or_register(KIND, telegram_id, new))


def _start_payload(update: Update) -> tuple[str | None, Any]:
    message = update.effective_message
    if message is None or not message.text or update.effective_user is None:
        return None, None
    match = _START.match(message.text.strip())
    if match is None:
        return None, None
    return match.group(1) or "", message


async def handle_update(data: dict[str, Any]) -> None:
    """One Update from Telegram (webhook body or getUpdates item): act on `/start <nonce>` and
    answer in the chat. Anything else is ignored."""
    async with bot() as b:
        await _handle(b, Update.de_json(data, b))


async def _handle(b: Bot, update: Update | None) -> None:
    if update is None:
        return
    payload, message = _start_payload(update)
    who = update.effective_user
    if payload is None or who is None:  # _start_payload gives None without a user already
        return
    if not payload:
        reply = REPLY_HELLO
    else:
        seen = await asyncio.to_thread(mark_seen, payload, str(who.id), who.username or "", who.first_name or "")
        reply = REPLY_OK if seen else REPLY_EXPIRED
    try:
        await b.send_message(chat_id=message.chat_id, text=reply)
    except TelegramError as exc:  # the login itself stands; only the courtesy reply failed
        log.warning("telegram reply failed: %s", type(exc).__name__)


class Poller:
    """Polling mode (TELEGRAM_BOT_POLLING): getUpdates in a loop on this node, for an instance
    Telegram cannot reach. The webhook is removed first (Telegram refuses both at once)."""

    LONG_POLL_SECONDS = 20
    RETRY_SECONDS = 5.0

    def __init__(self) -> None:
        self.task: asyncio.Task | None = None
        self.offset: int | None = None
        lifecycle.on_startup(self.start)
        lifecycle.on_shutdown(self.stop)
        lifecycle.on_reset(self._forget)

    def _forget(self) -> None:
        self.task, self.offset = None, None

    async def run(self) -> None:
        while True:
            if not options.get("TelegramBotToken"):
                await asyncio.sleep(self.RETRY_SECONDS)
                continue
            try:
                async with bot() as b:
                    await b.delete_webhook()
                    while options.get("TelegramBotToken") == b.token:
                        updates = await b.get_updates(offset=self.offset, timeout=self.LONG_POLL_SECONDS)
                        for update in updates:
                            self.offset = update.update_id + 1
                            try:
                                await _handle(b, update)
                            except Exception:
                                log.exception("telegram update %s failed", update.update_id)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("telegram polling failed (%s), retrying", type(exc).__name__)
                await asyncio.sleep(self.RETRY_SECONDS)

    async def start(self) -> None:
        if self.task is None and get_settings().TELEGRAM_BOT_POLLING:
            self.task = asyncio.create_task(self.run(), name="newapi-telegram-poller")

    async def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):  # stopping; errors were logged
                await self.task
            self.task = None


poller = Poller()
