"""A software WebAuthn authenticator for the tests: an EC P-256 key per credential, "none"
attestation, and the JSON a browser's PublicKeyCredential serialises to, built byte by byte from
the WebAuthn spec (authenticator data, COSE key, CBOR attestation object, ECDSA assertions)."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import struct
from dataclasses import dataclass, field
from typing import Any

import cbor2
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

UP, UV, BE, BS, AT = 0x01, 0x04, 0x08, 0x10, 0x40


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


@dataclass
class Credential:
    rp_id: str
    user_handle: bytes
    credential_id: bytes = field(default_factory=lambda: os.urandom(16))
    key: ec.EllipticCurvePrivateKey = field(default_factory=lambda: ec.generate_private_key(ec.SECP256R1()))
    sign_count: int = 0

    def cose_public_key(self) -> bytes:
        numbers = self.key.public_key().public_numbers()
        return cbor2.dumps({1: 2, 3: -7, -1: 1, -2: numbers.x.to_bytes(32, "big"), -3: numbers.y.to_bytes(32, "big")})


class SoftAuthenticator:
    def __init__(self, origin: str) -> None:
        self.origin = origin
        self.credentials: list[Credential] = []

    def _client_data(self, kind: str, challenge: str, origin: str | None) -> bytes:
        return json.dumps({"type": kind, "challenge": challenge, "origin": origin or self.origin,
                           "crossOrigin": False}).encode()

    def create(self, options: dict[str, Any], *, origin: str | None = None, rp_id: str | None = None) -> dict[str, Any]:
        """navigator.credentials.create() for new-api's `{publicKey: ...}` options."""
        pk = options["publicKey"]
        cred = Credential(rp_id=pk["rp"]["id"], user_handle=base64.urlsafe_b64decode(pk["user"]["id"] + "=="))
        self.credentials.append(cred)
        attested = bytes(16) + struct.pack(">H", len(cred.credential_id)) + cred.credential_id + cred.cose_public_key()
        auth_data = (hashlib.sha256((rp_id or cred.rp_id).encode()).digest() + bytes([UP | UV | AT | BE | BS])
                     + struct.pack(">I", cred.sign_count) + attested)
        attestation = cbor2.dumps({"fmt": "none", "attStmt": {}, "authData": auth_data})
        client_data = self._client_data("webauthn.create", pk["challenge"], origin)
        return {
            "id": b64url(cred.credential_id), "rawId": b64url(cred.credential_id), "type": "public-key",
            "response": {"clientDataJSON": b64url(client_data), "attestationObject": b64url(attestation),
                         "transports": ["internal"]},
            "authenticatorAttachment": "platform", "clientExtensionResults": {},
        }

    def get(self, options: dict[str, Any], credential: Credential | None = None, *,
            origin: str | None = None, sign_count: int | None = None) -> dict[str, Any]:
        """navigator.credentials.get(): signs the challenge with the given (default: first) credential."""
        pk = options["publicKey"]
        cred = credential or self.credentials[0]
        cred.sign_count = cred.sign_count + 1 if sign_count is None else sign_count
        auth_data = (hashlib.sha256(cred.rp_id.encode()).digest() + bytes([UP | UV | BE | BS])
                     + struct.pack(">I", cred.sign_count))
        client_data = self._client_data("webauthn.get", pk["challenge"], origin)
        signature = cred.key.sign(auth_data + hashlib.sha256(client_data).digest(), ec.ECDSA(hashes.SHA256()))
        return {
            "id": b64url(cred.credential_id), "rawId": b64url(cred.credential_id), "type": "public-key",
            "response": {"clientDataJSON": b64url(client_data), "authenticatorData": b64url(auth_data),
                         "signature": b64url(signature), "userHandle": b64url(cred.user_handle)},
            "authenticatorAttachment": "platform", "clientExtensionResults": {},
        }
