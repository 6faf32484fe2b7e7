"""The TOTP secret at rest.

new-api keeps `two_fas.secret` as the plain base32 secret. Here, when CRYPTO_SECRET is set, the
secret is stored as `enc:v1:<base64 nonce + AES-256-GCM ciphertext>` (key: SHA-256 of a label and
CRYPTO_SECRET), so a leaked database or backup does not give away second factors. Without
CRYPTO_SECRET (the boot-random fallback would change at every restart and lock everyone out) it is
stored plain, as new-api does. Plain values, new-api's rows included, are always read as they are.

Trade-off, said plainly: a database handed back to new-api cannot read the encrypted secrets of the
users who enabled 2FA here; an admin then resets their 2FA (`DELETE /api/user/:id/2fa`).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from backend.config import get_settings
from backend.services.errors import ServiceError, msg

PREFIX = "enc:v1:"
_LABEL = b"newapi-py two_fas.secret v1\x00"


def _key() -> bytes | None:
    crypto = get_settings().CRYPTO_SECRET
    return hashlib.sha256(_LABEL + crypto.encode()).digest() if crypto else None


def seal(secret: str) -> str:
    key = _key()
    if key is None:
        return secret
    nonce = os.urandom(12)
    sealed = AESGCM(key).encrypt(nonce, secret.encode(), _LABEL)
    return PREFIX + base64.b64encode(nonce + sealed).decode()


def unseal(stored: str) -> str:
    if not stored.startswith(PREFIX):
        return stored
    key = _key()
    try:
        raw = base64.b64decode(stored[len(PREFIX):], validate=True)
        if key is None:
            raise ValueError("no key")
        return AESGCM(key).decrypt(raw[:12], raw[12:], _LABEL).decode()
    except (ValueError, InvalidTag, binascii.Error) as exc:
        raise ServiceError(
            msg("this account's 2FA secret cannot be read (CRYPTO_SECRET changed?); ask an administrator to reset its 2FA"),
            409,
        ) from exc
