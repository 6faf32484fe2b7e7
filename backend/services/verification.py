"""Email verification codes and password-reset tokens, and the flows that mail them.

A code (6 hex) or token (32 hex) is valid for 10 minutes and works once. It lives in Redis when
REDIS_CONN_STRING is set, so every node sees it and a use on one node burns it everywhere; without
Redis it lives in this process's memory (a single-process deployment). The expiry time is stored
with the value and checked against `_now()`, Redis's own TTL only collects the garbage.
"""

from __future__ import annotations

import asyncio
import hmac
import html
import logging
import secrets
import threading
import time
from collections.abc import Coroutine
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import update
from sqlmodel import col, select

from backend import cache, lifecycle
from backend.auth.passwords import hash_password
from backend.cache.redis_client import get_sync_redis, sync_get
from backend.db import session_scope
from backend.models import User
from backend.models.validation import is_email
from backend.services import mailer, options, sessions
from backend.services.errors import ServiceError, msg

log = logging.getLogger(__name__)

TTL_SECONDS = 600
EMAIL_CODE = "email"
PASSWORD_RESET = "reset"
_LENGTH = {EMAIL_CODE: 3, PASSWORD_RESET: 16}  # bytes: 6 and 32 hex characters
# Wrong guesses a code survives: 6 hex digits are few enough to be worth guessing from many IPs.
MAX_FAILURES = 5

_lock = threading.Lock()
_memory: dict[str, tuple[str, float]] = {}
_failures: dict[str, int] = {}

# KEYS[1]; ARGV[1] the value read before. Deletes only if unchanged, so one caller wins.
_CONSUME = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""


def _now() -> float:
    return time.time()


def _key(purpose: str, email: str) -> str:
    return f"verification:{purpose}:{email.strip().lower()}"


def issue(purpose: str, email: str) -> str:
    """A fresh code for (purpose, email); it replaces any earlier one."""
    code = secrets.token_hex(_LENGTH[purpose])
    expires = _now() + TTL_SECONDS
    client = get_sync_redis()
    key = _key(purpose, email)
    if client is not None:
        pipe = client.pipeline()
        pipe.set(key, f"{code}:{expires}", ex=TTL_SECONDS + 60)
        pipe.delete(f"{key}:fails")
        pipe.execute()
    else:
        with _lock:
            _memory[key] = (code, expires)
            _failures.pop(key, None)
    return code


def _split(raw: str | tuple[str, float]) -> tuple[str, float]:
    if isinstance(raw, tuple):
        return raw
    code, _, expires = raw.partition(":")
    return code, float(expires or 0)


def _matches(stored: str, expires: float, code: str) -> bool:
    return _now() < expires and hmac.compare_digest(stored.encode(), code.strip().lower().encode())


def _failed(key: str) -> None:
    """Count a wrong guess at a live code; the last allowed one burns the code."""
    client = get_sync_redis()
    if client is not None:
        pipe = client.pipeline()
        pipe.incr(f"{key}:fails")
        pipe.expire(f"{key}:fails", TTL_SECONDS + 60)
        fails, _ = pipe.execute()
        if fails >= MAX_FAILURES:
            client.delete(key, f"{key}:fails")
        return
    with _lock:
        _failures[key] = _failures.get(key, 0) + 1
        if _failures[key] >= MAX_FAILURES:
            _memory.pop(key, None)
            _failures.pop(key, None)


def _verify(key: str, raw: str | tuple[str, float] | None, code: str) -> bool:
    if raw is None:
        return False
    stored, expires = _split(raw)
    if _matches(stored, expires, code):
        return True
    if _now() < expires:
        _failed(key)
    return False


def check(purpose: str, email: str, code: str) -> bool:
    """Whether the code is currently valid, without using it up."""
    if not code or not email:
        return False
    key = _key(purpose, email)
    client = get_sync_redis()
    if client is not None:
        raw = sync_get(client, key)
        return _verify(key, raw.decode() if raw is not None else None, code)
    with _lock:
        entry = _memory.get(key)
    return _verify(key, entry, code)


def consume(purpose: str, email: str, code: str) -> bool:
    """Use the code up if it is valid. Of two concurrent callers at most one gets True."""
    if not code or not email:
        return False
    key = _key(purpose, email)
    client = get_sync_redis()
    if client is not None:
        raw = sync_get(client, key)
        if raw is None or not _verify(key, raw.decode(), code):
            return False
        return bool(client.eval(_CONSUME, 1, key, raw))
    with _lock:
        entry = _memory.get(key)
    if not _verify(key, entry, code):
        return False
    with _lock:
        # Still the same code (not replaced or used meanwhile): this caller wins it.
        if _memory.get(key) != entry:
            return False
        del _memory[key]
        _failures.pop(key, None)
        return True


@lifecycle.on_reset
def _reset() -> None:
    with _lock:
        _memory.clear()
        _failures.clear()


def check_email_allowed(email: str) -> None:
    """The address checks new-api applies before sending a registration code."""
    if not is_email(email):
        raise ServiceError(msg("invalid email address"))
    local, _, domain = email.rpartition("@")
    if options.get_bool("EmailDomainRestrictionEnabled"):
        allowed = {d.strip().lower() for d in options.get("EmailDomainWhitelist").split(",") if d.strip()}
        if domain.lower() not in allowed:
            raise ServiceError(msg("this email domain is not allowed; use an address from a permitted domain"))
    if options.get_bool("EmailAliasRestrictionEnabled") and ("+" in local or "." in local):
        raise ServiceError(msg("email aliases (addresses with '+' or '.') are not allowed"))


def _email_taken(email: str) -> bool:
    with session_scope() as s:
        return s.exec(select(User.id).where(User.email == email, col(User.deleted_at).is_(None))).first() is not None


def _site() -> str:
    return options.get("SystemName") or "New API"


async def send_email_code(email: str) -> None:
    """Mail a registration code to an address nobody uses yet. The answer is the same whether or
    not the address is taken (else this would tell anyone which addresses have accounts): the
    lookup and the mail happen after the caller is answered, and a taken address gets no code."""
    email = email.strip()
    check_email_allowed(email)
    _require_mailer()
    _in_background(_mail_email_code(email))


async def _mail_email_code(email: str) -> None:
    if await asyncio.to_thread(_email_taken, email):
        return
    code = issue(EMAIL_CODE, email)
    body = (
        f"<p>Your {html.escape(_site())} verification code is <strong>{code}</strong>.</p>"
        f"<p>It is valid for {TTL_SECONDS // 60} minutes. If you did not ask for it, ignore this mail.</p>"
    )
    try:
        await mailer.send(email, f"{_site()} email verification", body)
    except ServiceError:
        log.warning("the verification mail could not be delivered")


def _require_mailer() -> None:
    if not mailer.configured():
        raise ServiceError(msg("mail is not configured: ask the administrator to set the SMTP server"), 503)


def _in_background(job: Coroutine[Any, Any, None]) -> None:
    lifecycle.spawn(job, "sending a mail")


def reset_link(email: str, token: str) -> str:
    base = options.get("ServerAddress").rstrip("/")
    return f"{base}/user/reset?{urlencode({'email': email, 'token': token})}"


async def _mail_reset_link(email: str) -> None:
    if not await asyncio.to_thread(_email_taken, email):
        return
    link = reset_link(email, issue(PASSWORD_RESET, email))
    body = (
        f"<p>Someone asked to reset the {html.escape(_site())} password of this address.</p>"
        f'<p><a href="{html.escape(link)}">Reset the password</a> or open {html.escape(link)}</p>'
        f"<p>The link is valid for {TTL_SECONDS // 60} minutes and works once. "
        "If you did not ask for it, ignore this mail.</p>"
    )
    try:
        await mailer.send(email, f"{_site()} password reset", body)
    except ServiceError:
        log.warning("the password reset mail could not be delivered")


async def request_password_reset(email: str) -> None:
    """Mail a reset link if an account uses this address. The answer, and how long it takes, are
    the same whether or not one does: the lookup and the mail happen after the caller is answered."""
    email = email.strip()
    if not is_email(email):
        raise ServiceError(msg("invalid email address"))
    _require_mailer()
    _in_background(_mail_reset_link(email))


def new_password() -> str:
    return secrets.token_urlsafe(12)  # 16 characters, within the 8-20 the login form accepts


def reset_password(email: str, token: str) -> str:
    """Give every live account of this address a new random password and return it (this once).
    Their sessions and access tokens end with the old password."""
    email = email.strip()
    if not consume(PASSWORD_RESET, email, token):
        raise ServiceError(msg("the reset link is invalid or has expired"))
    password = new_password()
    with session_scope() as s:
        ids = list(s.exec(select(User.id).where(User.email == email, col(User.deleted_at).is_(None))).all())
        if ids:
            s.execute(update(User).where(col(User.id).in_(ids))
                      .values(password=hash_password(password), access_token=None))
        for user_id in ids:
            sessions.end_user_sessions(s, user_id)
    if not ids:
        raise ServiceError(msg("the reset link is invalid or has expired"))
    for user_id in ids:
        cache.invalidate_user(user_id)
    return password
