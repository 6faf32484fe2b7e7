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

from backend.json_shape import object_at

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


def api_base(base_url: str | None, project_id: str, region: str, version: str = "v1") -> str:
    """new-api's shape: {region}-aiplatform.googleapis.com (plain host for `global`), the API
    version (v1; v1beta1 for open models), project and location; a channel base URL replaces the host."""
    base = (base_url or "").strip().rstrip("/")
    if not base:
        base = "https://aiplatform.googleapis.com" if region == "global" else f"https://{region}-aiplatform.googleapis.com"
    if not base.endswith("/" + version):
        base += "/" + version
    return f"{base}/projects/{project_id}/locations/{region}"


def is_open_model(model: str) -> bool:
    """Open models Vertex serves through its OpenAI-compatible endpoint (new-api: Llama, `-maas`)."""
    return "llama" in model or "-maas" in model


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


# -- express mode (an API key instead of a service account) ---------------------------------------


def is_service_account(key: str) -> bool:
    """A service-account key is a JSON object; anything else is an express-mode API key."""
    return key.lstrip().startswith("{")


def express_base(base_url: str | None, region: str) -> str:
    """new-api's express-mode API root: no project or location in the path, the key in `?key=`."""
    base = (base_url or "").strip().rstrip("/")
    if not base:
        base = "https://aiplatform.googleapis.com" if region == "global" else f"https://{region}-aiplatform.googleapis.com"
    return base if base.endswith("/v1") else base + "/v1"


# -- embeddings: `predict` on the text-embedding models -------------------------------------------


def _instance(text: str, task_type: Any = None, title: Any = None) -> dict[str, Any]:
    item: dict[str, Any] = {"content": text}
    if isinstance(task_type, str) and task_type:
        item["task_type"] = task_type
    if isinstance(title, str) and title:
        item["title"] = title
    return item


def _parameters(dimensions: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"autoTruncate": True}
    if isinstance(dimensions, int) and not isinstance(dimensions, bool) and dimensions > 0:
        out["outputDimensionality"] = dimensions
    return out


def openai_to_vertex_embeddings(body: dict) -> dict:
    """One instance per OpenAI input (a string, or a list of strings)."""
    raw = body.get("input")
    inputs = raw if isinstance(raw, list) else [raw]
    return {"instances": [_instance(str(text)) for text in inputs], "parameters": _parameters(body.get("dimensions"))}


def gemini_embed_to_vertex(body: dict) -> dict:
    """A native `:embedContent` / `:batchEmbedContents` body as one `predict` (taskType, title and
    outputDimensionality carried over)."""
    batch = body.get("requests")
    requests = batch if isinstance(batch, list) else [body]
    instances, dims = [], None
    for req in requests:
        if not isinstance(req, dict):
            continue
        parts = (req.get("content") or {}).get("parts") if isinstance(req.get("content"), dict) else None
        text = "".join(p["text"] for p in parts or () if isinstance(p, dict) and isinstance(p.get("text"), str))
        instances.append(_instance(text, req.get("taskType"), req.get("title")))
        dims = dims or req.get("outputDimensionality")
    return {"instances": instances, "parameters": _parameters(dims)}


def vertex_embeddings(resp: dict) -> tuple[list[list[float]], int]:
    """The vectors of a predict reply, in order, and the tokens its statistics counted."""
    vectors: list[list[float]] = []
    tokens = 0
    for prediction in resp.get("predictions") or ():
        embeddings = prediction.get("embeddings") if isinstance(prediction, dict) else None
        if not isinstance(embeddings, dict):
            continue
        vectors.append(list(embeddings.get("values") or []))
        stats = object_at(embeddings, "statistics")
        count = stats.get("token_count")
        tokens += int(count) if isinstance(count, int | float) and count > 0 else 0
    return vectors, tokens


def vertex_to_openai_embeddings(resp: dict, model: str) -> tuple[dict, int]:
    vectors, tokens = vertex_embeddings(resp)
    body = {
        "object": "list",
        "data": [{"object": "embedding", "index": i, "embedding": v} for i, v in enumerate(vectors)],
        "model": model,
        "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
    }
    return body, tokens


def vertex_to_gemini_embed(resp: dict, batch: bool) -> tuple[dict, int]:
    vectors, tokens = vertex_embeddings(resp)
    if batch:
        return {"embeddings": [{"values": v} for v in vectors]}, tokens
    return {"embedding": {"values": vectors[0] if vectors else []}}, tokens
