"""AWS Bedrock wire format for the fake upstream: event-stream frames and SigV4 checking."""

from __future__ import annotations

import base64
import re
import struct
import zlib
from datetime import UTC, datetime

import orjson

from backend.relay.adaptors.aws_sigv4 import sign

# the one credential the fake accepts for signed requests
ACCESS_KEY = "AKIDFAKE"
SECRET_KEY = "fake/secret/KEY"
_CREDENTIAL = re.compile(r"Credential=([^/]+)/(\d{8})/([^/]+)/([^/]+)/aws4_request")


def encode_message(headers: dict[str, str], payload: bytes) -> bytes:
    """One event-stream frame with string headers."""
    raw_headers = b"".join(
        bytes([len(name)]) + name.encode() + b"\x07" + struct.pack(">H", len(value)) + value.encode()
        for name, value in headers.items()
    )
    prelude = struct.pack(">II", 16 + len(raw_headers) + len(payload), len(raw_headers))
    prelude += struct.pack(">I", zlib.crc32(prelude))
    message = prelude + raw_headers + payload
    return message + struct.pack(">I", zlib.crc32(message))


def chunk_frame(event: dict) -> bytes:
    payload = orjson.dumps({"bytes": base64.b64encode(orjson.dumps(event)).decode(), "p": "abcdef"})
    return encode_message(
        {":event-type": "chunk", ":content-type": "application/json", ":message-type": "event"}, payload
    )


def exception_frame(kind: str, message: str) -> bytes:
    return encode_message(
        {":exception-type": kind, ":content-type": "application/json", ":message-type": "exception"},
        orjson.dumps({"message": message}),
    )


def check_signature(method: str, url: str, headers: dict[str, str], body: bytes) -> str | None:
    """None when the request is signed by the fake credential and the signature covers what was
    sent; otherwise the error Bedrock would give."""
    auth = headers.get("authorization", "")
    if auth.startswith("Bearer "):
        return None if auth[7:] else "missing API key"
    match = _CREDENTIAL.search(auth)
    if not match or match.group(1) != ACCESS_KEY or match.group(4) != "bedrock":
        return "The security token included in the request is invalid."
    when = datetime.strptime(headers.get("x-amz-date", ""), "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    signed_names = auth.split("SignedHeaders=", 1)[1].split(",", 1)[0].split(";")
    kept = {n: headers[n] for n in signed_names if n in headers and n != "host"}
    expected = sign(method, url, kept, body, access_key=ACCESS_KEY, secret_key=SECRET_KEY,
                    region=match.group(3), service="bedrock", now=when)  # fmt: skip
    if expected["Authorization"] != auth:
        return "The request signature we calculated does not match the signature you provided."
    return None
