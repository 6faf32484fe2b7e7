"""Vertex AI's pure parts: Claude names in Vertex's spelling, regions, URLs, the key and the
signed assertion (verified with the key's public half), express mode, and embeddings through
`predict`."""

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
    express_base,
    gemini_embed_to_vertex,
    is_service_account,
    model_url,
    openai_to_vertex_embeddings,
    parse_credentials,
    region_for,
    signed_assertion,
    vertex_to_gemini_embed,
    vertex_to_openai_embeddings,
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


@pytest.mark.parametrize(("key", "account"), [('{"type": "service_account"}', True), ('  {"a": 1}', True),
                                             ("AQ.Ab8RN6Lx", False), ("", False)])
def test_a_json_key_is_a_service_account_anything_else_express(key: str, account: bool) -> None:
    assert is_service_account(key) is account


@pytest.mark.parametrize(("base", "region", "expected"), [
    ("", "global", "https://aiplatform.googleapis.com/v1"),
    (None, "us-central1", "https://us-central1-aiplatform.googleapis.com/v1"),
    ("http://127.0.0.1:9/", "global", "http://127.0.0.1:9/v1"),
    ("https://proxy.example/v1", "europe-west4", "https://proxy.example/v1"),
])
def test_express_base_has_no_project(base: str | None, region: str, expected: str) -> None:
    assert express_base(base, region) == expected


@pytest.mark.parametrize(("body", "expected"), [
    ({"input": "a"}, {"instances": [{"content": "a"}], "parameters": {"autoTruncate": True}}),
    ({"input": ["a", "b"], "dimensions": 8},
     {"instances": [{"content": "a"}, {"content": "b"}], "parameters": {"autoTruncate": True, "outputDimensionality": 8}}),
    ({"input": ["a"], "dimensions": True}, {"instances": [{"content": "a"}], "parameters": {"autoTruncate": True}}),
])
def test_openai_to_vertex_embeddings(body: dict, expected: dict) -> None:
    assert openai_to_vertex_embeddings(body) == expected


@pytest.mark.parametrize(("body", "expected"), [
    ({"content": {"parts": [{"text": "a"}, {"text": "b"}]}, "taskType": "RETRIEVAL_DOCUMENT", "title": "t",
      "outputDimensionality": 4},
     {"instances": [{"content": "ab", "task_type": "RETRIEVAL_DOCUMENT", "title": "t"}],
      "parameters": {"autoTruncate": True, "outputDimensionality": 4}}),
    ({"requests": [{"content": {"parts": [{"text": "x"}]}}, {"content": {"parts": [{"text": "y"}]}}, "junk"]},
     {"instances": [{"content": "x"}, {"content": "y"}], "parameters": {"autoTruncate": True}}),
])
def test_gemini_embed_to_vertex(body: dict, expected: dict) -> None:
    assert gemini_embed_to_vertex(body) == expected


PREDICTIONS = {"predictions": [
    {"embeddings": {"values": [0.1, 0.2], "statistics": {"token_count": 3, "truncated": False}}},
    {"embeddings": {"values": [0.3], "statistics": {"token_count": 4.0}}},
    {"other": 1},
]}


def test_vertex_replies_in_openai_and_gemini_shapes() -> None:
    assert vertex_to_openai_embeddings(PREDICTIONS, "m") == ({
        "object": "list", "model": "m", "usage": {"prompt_tokens": 7, "total_tokens": 7},
        "data": [{"object": "embedding", "index": 0, "embedding": [0.1, 0.2]},
                 {"object": "embedding", "index": 1, "embedding": [0.3]}]}, 7)
    assert vertex_to_gemini_embed(PREDICTIONS, True) == ({"embeddings": [{"values": [0.1, 0.2]}, {"values": [0.3]}]}, 7)
    assert vertex_to_gemini_embed(PREDICTIONS, False) == ({"embedding": {"values": [0.1, 0.2]}}, 7)
    assert vertex_to_gemini_embed({}, False) == ({"embedding": {"values": []}}, 0)
