"""Vertex AI's pure parts: Claude names in Vertex's spelling, regions, URLs, the key and the
signed assertion (verified with the key's public half)."""

from __future__ import annotations

import base64

import orjson
import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from backend.relay.convert.vertex import (
    DEFAULT_TOKEN_URL,
    Credentials,
    VertexKeyError,
    api_base,
    claude_model_id,
    model_url,
    parse_credentials,
    region_for,
    signed_assertion,
)


@pytest.mark.parametrize(("name", "vertex"), [
    ("claude-sonnet-4-20250514", "claude-sonnet-4@20250514"),
    ("claude-3-7-sonnet-20250219", "claude-3-7-sonnet@20250219"),
    ("claude-3-5-sonnet-20241022", "claude-3-5-sonnet-v2@20241022"),
    ("claude-3-5-haiku-20241022", "claude-3-5-haiku@20241022"),
    ("claude-opus-4-1@20250805", "claude-opus-4-1@20250805"),
    ("claude-sonnet-4-5", "claude-sonnet-4-5"),
])
def test_claude_model_ids(name: str, vertex: str) -> None:
    assert claude_model_id(name) == vertex


@pytest.mark.parametrize(("other", "model", "region"), [
    ("us-east5", "m", "us-east5"),
    ("", "m", "global"),
    (None, "m", "global"),
    ('{"default": "europe-west1", "gemini-2.5-pro": "us-central1"}', "gemini-2.5-pro", "us-central1"),
    ('{"default": "europe-west1"}', "claude-x", "europe-west1"),
])
def test_regions(other: str | None, model: str, region: str) -> None:
    assert region_for(other, model) == region


@pytest.mark.parametrize(("base", "region", "url"), [
    ("", "us-east5", "https://us-east5-aiplatform.googleapis.com/v1/projects/p/locations/us-east5"),
    ("", "global", "https://aiplatform.googleapis.com/v1/projects/p/locations/global"),
    ("http://127.0.0.1:9/", "us-east5", "http://127.0.0.1:9/v1/projects/p/locations/us-east5"),
    ("http://proxy.example/v1", "global", "http://proxy.example/v1/projects/p/locations/global"),
])
def test_api_base(base: str, region: str, url: str) -> None:
    assert api_base(base, "p", region) == url


def test_model_url() -> None:
    assert model_url("B", "google", "models/Gemini-2.5-Flash", "generateContent") == (
        "B/publishers/google/models/gemini-2.5-flash:generateContent")


def _pem(key: object) -> str:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,  # type: ignore[attr-defined]
                             serialization.NoEncryption()).decode()


@pytest.mark.parametrize(("key", "message"), [
    ("not json", "not valid JSON"),
    ("[]", "service-account JSON object"),
    ('{"project_id": "p"}', "lacks client_email, private_key"),
    ('{"project_id": "p", "client_email": "e", "private_key": "k", "token_uri": "file:///x"}', "token_uri"),
])
def test_bad_keys(key: str, message: str) -> None:
    with pytest.raises(VertexKeyError, match=message):
        parse_credentials(key)


def test_signed_assertion_verifies_with_the_public_key() -> None:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    creds = parse_credentials(orjson.dumps({"project_id": "p", "client_email": "sa@p.iam", "private_key": _pem(private)}).decode())
    assert creds.token_uri == DEFAULT_TOKEN_URL
    head, claims, sig = signed_assertion(creds, 1_700_000_000).split(".")

    def unb64(text: str) -> bytes:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))

    private.public_key().verify(unb64(sig), f"{head}.{claims}".encode(), padding.PKCS1v15(), hashes.SHA256())
    assert orjson.loads(unb64(head)) == {"alg": "RS256", "typ": "JWT"}
    assert orjson.loads(unb64(claims)) == {
        "iss": "sa@p.iam", "scope": "https://www.googleapis.com/auth/cloud-platform", "aud": DEFAULT_TOKEN_URL,
        "iat": 1_700_000_000, "exp": 1_700_003_600}


def test_signed_assertion_refuses_a_non_rsa_key() -> None:
    creds = Credentials("p", "e", _pem(ec.generate_private_key(ec.SECP256R1())))
    with pytest.raises(VertexKeyError, match="not an RSA key"):
        signed_assertion(creds, 0)
