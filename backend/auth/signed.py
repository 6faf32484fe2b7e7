"""Short-lived signed tokens for half-finished logins (a password accepted, a 2FA code or a passkey
still to come). They are not sessions: a token names one purpose and opens nothing else; only the
route of that purpose reads it.

`sign(purpose, claims, ttl)` gives `<base64url JSON>.<base64url HMAC-SHA256>`; the key is derived
from SESSION_SECRET and the purpose, so a token made for one purpose never verifies for another.
`verify(purpose, token)` returns the claims of an authentic, unexpired token, else None. Each token
carries a random nonce (`n`) so callers can make it single use (backend/services/once.py).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from typing import Any

import orjson

from backend.config import get_settings

MAX_LEN = 4096  # a passkey ceremony's claims are well under this; anything longer is not ours


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _key(purpose: str) -> bytes:
    secret = get_settings().session_secret.encode()
    return hmac.new(secret, b"newapi-signed-token:" + purpose.encode(), hashlib.sha256).digest()


def sign(purpose: str, claims: dict[str, Any], ttl: int, now: float | None = None) -> str:
    issued = int(time.time() if now is None else now)
    body = dict(claims, p=purpose, x=issued + ttl, n=secrets.token_urlsafe(12))
    payload = _b64(orjson.dumps(body))
    mac = hmac.new(_key(purpose), payload.encode(), hashlib.sha256).digest()
    return f"{payload}.{_b64(mac)}"


def verify(purpose: str, token: str | None, now: float | None = None) -> dict[str, Any] | None:
    if not token or len(token) > MAX_LEN or not token.isascii() or token.count(".") != 1:
        return None
    payload, _, mac = token.partition(".")
    expected = hmac.new(_key(purpose), payload.encode(), hashlib.sha256).digest()
    try:
        if not hmac.compare_digest(_unb64(mac), expected):
            return None
        claims = orjson.loads(_unb64(payload))
    except (ValueError, orjson.JSONDecodeError):
        return None
    if not isinstance(claims, dict) or claims.get("p") != purpose:
        return None
    expires = claims.get("x")
    if not isinstance(expires, int) or expires <= (time.time() if now is None else now):
        return None
    return claims


def fingerprint(value: str) -> str:
    """A short keyed digest of a value a token must stay bound to (e.g. the password hash, so a
    password change voids a half-finished login)."""
    return hmac.new(_key("fingerprint"), value.encode(), hashlib.sha256).hexdigest()[:32]
