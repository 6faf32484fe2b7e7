"""Waffo's merchant API on the wire: RSA-signed JSON requests, signed replies and notifications.

Waffo signs with SHA256withRSA (PKCS#1 v1.5), Base64: a request's exact JSON body is signed with
the merchant's private key and sent in `X-SIGNATURE` with `X-API-KEY`; Waffo's replies and webhook
bodies carry `X-SIGNATURE` made with Waffo's key, checked against its public key; the merchant
answers a webhook with a body signed by its own key. Keys are Base64 DER (PKCS#8 private,
SubjectPublicKeyInfo public) or PEM, and Waffo's key may also be given as a PEM certificate.

Written here rather than taken from the official `waffo` SDK (0.6.0b0 on PyPI) because that beta
pins `cryptography<47` while the gateway needs the maintained 50.x (Vertex JWTs, authlib,
WebAuthn); the protocol facts above are the SDK's.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from typing import Any

import httpx
import orjson
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey, RSAPublicKey
from cryptography.hazmat.primitives.asymmetric.types import PublicKeyTypes

PRODUCTION_BASE = "https://api.waffo.com/api/v1"
SANDBOX_BASE = "https://api-sandbox.waffo.com/api/v1"
API_VERSION = "1.0.0"
TIMEOUT = 30.0
SUCCESS_BODY = '{"message":"success"}'
FAILED_BODY = '{"message":"failed"}'


class UnreadableKey(ValueError):
    """A configured key that cannot be read (never echoes the key)."""


@dataclass(frozen=True)
class Credentials:
    api_key: str
    private_key: str
    public_key: str
    merchant_id: str
    base_url: str


def _b64(text: str) -> bytes:
    try:
        return base64.b64decode("".join(text.split()), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise UnreadableKey("the key is not valid Base64") from exc


def private_key(text: str) -> RSAPrivateKey:
    raw = text.strip()
    try:
        key = (serialization.load_pem_private_key(raw.encode(), password=None) if raw.startswith("-----BEGIN")
               else serialization.load_der_private_key(_b64(raw), password=None))
    except (ValueError, TypeError) as exc:
        raise UnreadableKey("the merchant private key is not an unencrypted PKCS#8 RSA key") from exc
    if not isinstance(key, RSAPrivateKey):
        raise UnreadableKey("the merchant private key is not an RSA key")
    return key


def public_key(text: str) -> RSAPublicKey:
    raw = text.strip()
    key: PublicKeyTypes
    try:
        if raw.startswith("-----BEGIN CERTIFICATE"):
            key = x509.load_pem_x509_certificate(raw.encode()).public_key()
        elif raw.startswith("-----BEGIN"):
            key = serialization.load_pem_public_key(raw.encode())
        else:
            key = serialization.load_der_public_key(_b64(raw))
    except (ValueError, TypeError) as exc:
        raise UnreadableKey("Waffo's public key is not readable") from exc
    if not isinstance(key, RSAPublicKey):
        raise UnreadableKey("Waffo's public key is not an RSA key")
    return key


def sign(body: str, key_text: str) -> str:
    signature = private_key(key_text).sign(body.encode(), padding.PKCS1v15(), hashes.SHA256())
    return base64.b64encode(signature).decode("ascii")


def verify(body: str | bytes, signature: str, key_text: str) -> bool:
    """Constant-time by construction (the RSA check compares inside the library)."""
    if not signature:
        return False
    try:
        sig = base64.b64decode(signature.strip(), validate=True)
        data = body if isinstance(body, bytes) else body.encode()
        public_key(key_text).verify(sig, data, padding.PKCS1v15(), hashes.SHA256())
    except (InvalidSignature, UnreadableKey, binascii.Error, ValueError):
        return False
    return True


def post(creds: Credentials, path: str, payload: dict[str, Any]) -> dict[str, Any]:
    """POST a signed request; returns `data` of a `code: "0"` reply. Raises RuntimeError with a
    message safe to log (never the keys) for a transport error, a bad reply signature or a refusal."""
    body = orjson.dumps(payload).decode()
    headers = {"Content-Type": "application/json", "X-API-KEY": creds.api_key, "X-SIGNATURE": sign(body, creds.private_key),
               "X-API-VERSION": API_VERSION}
    try:
        r = httpx.post(creds.base_url.rstrip("/") + path, content=body, headers=headers, timeout=TIMEOUT)
    except httpx.HTTPError as exc:
        raise RuntimeError(f"Waffo unreachable: {type(exc).__name__}") from None
    reply_sig = r.headers.get("X-SIGNATURE", "")
    if reply_sig and not verify(r.content, reply_sig, creds.public_key):
        raise RuntimeError("Waffo's reply signature does not verify")
    try:
        reply = orjson.loads(r.content)
    except orjson.JSONDecodeError:
        raise RuntimeError(f"Waffo answered {r.status_code} without JSON") from None
    if not isinstance(reply, dict) or str(reply.get("code")) != "0":
        code = reply.get("code") if isinstance(reply, dict) else "?"
        raise RuntimeError(f"Waffo refused the request (code {code})")
    data = reply.get("data")
    return data if isinstance(data, dict) else {}


def redirect_url(order_action: Any) -> str:
    """The cashier page in a created order's `orderAction` JSON (`webUrl`, else `deeplinkUrl`)."""
    if isinstance(order_action, str) and order_action:
        try:
            action = orjson.loads(order_action)
        except orjson.JSONDecodeError:
            return order_action if order_action.startswith("https://") else ""
        if isinstance(action, dict):
            return str(action.get("webUrl") or action.get("deeplinkUrl") or "")
    return ""
