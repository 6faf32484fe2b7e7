"""Vertex AI's pure parts: the service-account key, the signed JWT assertion that buys an access
token, the region for a model, the model URL, and Claude model names in Vertex's spelling.

No I/O here: `adaptors/vertex_token.py` posts the assertion and caches the token.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass
from typing import Any

import orjson
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

DEFAULT_TOKEN_URL = "https://oauth2.googleapis.com/token"
SCOPE = "https://www.googleapis.com/auth/cloud-platform"
ASSERTION_LIFETIME_S = 3600  # Google's maximum for a JWT-bearer assertion
CLAUDE_VERSION = "vertex-2023-10-16"  # the `anthropic_version` Vertex wants in the body
_DATE = re.compile(r"-(\d{8})$")
# the one Claude model whose Vertex name is not just "-YYYYMMDD" -> "@YYYYMMDD"
_CLAUDE_SPECIAL = {"claude-3-5-sonnet-20241022": "claude-3-5-sonnet-v2@20241022"}


class VertexKeyError(ValueError):
    """The channel key is not a usable service-account key."""


@dataclass(frozen=True, slots=True)
class Credentials:
    project_id: str
    client_email: str
    private_key: str  # PEM (PKCS#8), as Google issues it
    token_uri: str = DEFAULT_TOKEN_URL


def parse_credentials(key: str) -> Credentials:
    """A service-account JSON key. `token_uri` is Google's token endpoint as the key names it
    (google-auth reads it the same way); it is also where a test points the exchange."""
    try:
        data: Any = orjson.loads(key)
    except orjson.JSONDecodeError as exc:
        raise VertexKeyError("the Vertex AI key is not valid JSON") from exc
    if not isinstance(data, dict):
        raise VertexKeyError("the Vertex AI key must be a service-account JSON object")
    missing = [f for f in ("project_id", "client_email", "private_key") if not isinstance(data.get(f), str) or not data[f]]
    if missing:
        raise VertexKeyError(f"the Vertex AI service-account key lacks {', '.join(missing)}")
    token_uri = data.get("token_uri") if isinstance(data.get("token_uri"), str) else ""
    if token_uri and not token_uri.startswith(("https://", "http://")):
        raise VertexKeyError("the Vertex AI key's token_uri must be an http(s) URL")
    return Credentials(data["project_id"], data["client_email"], data["private_key"], token_uri or DEFAULT_TOKEN_URL)


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def signed_assertion(creds: Credentials, now: int) -> str:
    """An RS256 JWT (RFC 7523) asserting the service account, audience the token endpoint."""
    try:
        key = serialization.load_pem_private_key(creds.private_key.replace("\\n", "\n").encode(), password=None)
    except (ValueError, TypeError) as exc:
        raise VertexKeyError("the Vertex AI key's private_key is not a PEM private key") from exc
    if not isinstance(key, rsa.RSAPrivateKey):
        raise VertexKeyError("the Vertex AI key's private_key is not an RSA key")
    header = {"alg": "RS256", "typ": "JWT"}
    claims = {"iss": creds.client_email, "scope": SCOPE, "aud": creds.token_uri,
              "iat": now, "exp": now + ASSERTION_LIFETIME_S}
    signing_input = f"{_b64(orjson.dumps(header))}.{_b64(orjson.dumps(claims))}"
    signature = key.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
    return f"{signing_input}.{_b64(signature)}"


def region_for(other: str | None, model: str) -> str:
    """`other` is a region, or a JSON map {model: region, "default": region} (checked on write)."""
    text = (other or "").strip()
    if text.startswith("{"):
        try:
            regions = orjson.loads(text)
        except orjson.JSONDecodeError:
            regions = {}
        if isinstance(regions, dict):
            value = regions.get(model) or regions.get("default")
            return str(value).strip() if value else "global"
    return text or "global"


def api_base(base_url: str | None, project_id: str, region: str) -> str:
    """new-api's shape: {region}-aiplatform.googleapis.com (plain host for `global`), v1, project
    and location; a channel base URL replaces the host."""
    base = (base_url or "").strip().rstrip("/")
    if not base:
        base = "https://aiplatform.googleapis.com" if region == "global" else f"https://{region}-aiplatform.googleapis.com"
    if not base.endswith("/v1"):
        base += "/v1"
    return f"{base}/projects/{project_id}/locations/{region}"


def model_url(base: str, publisher: str, model: str, action: str) -> str:
    name = model.strip().lower().removeprefix("models/")
    return f"{base}/publishers/{publisher}/models/{name}:{action}"


def is_claude(model: str) -> bool:
    return model.lower().startswith("claude")


def claude_model_id(model: str) -> str:
    """Anthropic's name in Vertex's spelling: claude-sonnet-4-20250514 -> claude-sonnet-4@20250514.
    Names already carrying an `@` (given through model_mapping) pass unchanged."""
    if "@" in model:
        return model
    return _CLAUDE_SPECIAL.get(model) or _DATE.sub(r"@\1", model)
