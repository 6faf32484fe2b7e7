"""A fake Google Vertex AI: the OAuth2 token endpoint (RFC 7523 JWT-bearer grant, the assertion's
RS256 signature checked against the service account's public key) and the publisher model
endpoints for Gemini (`publishers/google`) and Claude (`publishers/anthropic`), which accept only
a token this fake issued.

    with FakeVertex() as vx:
        key = vx.service_account()     # the channel key: JSON whose token_uri points here
        vx.exchanges, vx.requests[-1].path, vx.refuse_tokens = True
"""

from __future__ import annotations

import base64
import itertools
from dataclasses import dataclass, field
from typing import Any

import orjson
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse

from tests.conftest import LiveServer
from tests.fakes import anthropic_wire as aw
from tests.fakes import gemini_wire as gw
from tests.fakes import openai_wire as ow
from tests.fakes.upstream import RecordedRequest

PROJECT = "fake-project"
CLIENT_EMAIL = "relay@fake-project.iam.gserviceaccount.com"
SCOPE = "https://www.googleapis.com/auth/cloud-platform"
TOKEN_LIFETIME_S = 3599
EXPRESS_KEY = "AQ.fake-express-key"  # an express-mode API key (not JSON)
EMBED_TOKENS = 6  # each embedded instance's token_count
IMAGE_B64 = "iVBORw0KGgo="


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class FakeVertex:
    requests: list[RecordedRequest] = field(default_factory=list)
    exchanges: int = 0  # tokens issued
    refuse_tokens: bool = False  # answer the token endpoint with 401 invalid_grant
    url: str = ""

    def __post_init__(self) -> None:
        self._private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self._issued: set[str] = set()
        self._serial = itertools.count(1)
        self._server: LiveServer | None = None
        self.app = self._build()

    def service_account(self) -> str:
        pem = self._private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                          serialization.NoEncryption()).decode()
        return orjson.dumps({
            "type": "service_account", "project_id": PROJECT, "private_key_id": "k1", "private_key": pem,
            "client_email": CLIENT_EMAIL, "client_id": "1", "token_uri": f"{self.url}/token",
        }).decode()

    def __enter__(self) -> FakeVertex:
        self._server = LiveServer(self.app).__enter__()
        self.url = self._server.url
        return self

    def __exit__(self, *exc: object) -> None:
        if self._server is not None:
            self._server.__exit__(*exc)

    # -- the token endpoint ---------------------------------------------------------------------

    def _check_assertion(self, assertion: str) -> str | None:
        try:
            head, claims, sig = assertion.split(".")
            self._private.public_key().verify(_unb64(sig), f"{head}.{claims}".encode(), padding.PKCS1v15(),
                                              hashes.SHA256())
            header, body = orjson.loads(_unb64(head)), orjson.loads(_unb64(claims))
        except (ValueError, InvalidSignature, orjson.JSONDecodeError):
            return "Invalid JWT Signature."
        if header.get("alg") != "RS256":
            return "Invalid JWT: alg"
        if body.get("iss") != CLIENT_EMAIL or body.get("scope") != SCOPE or body.get("aud") != f"{self.url}/token":
            return "Invalid JWT: claims"
        if not isinstance(body.get("exp"), int) or not isinstance(body.get("iat"), int) or body["exp"] <= body["iat"]:
            return "Invalid JWT: Token must be a short-lived token"
        return None

    async def _token(self, request: Request) -> Response:
        form = await request.form()
        if form.get("grant_type") != "urn:ietf:params:oauth:grant-type:jwt-bearer":
            return JSONResponse({"error": "unsupported_grant_type"}, 400)
        problem = self._check_assertion(str(form.get("assertion") or ""))
        if problem or self.refuse_tokens:
            return JSONResponse({"error": "invalid_grant", "error_description": problem or "account disabled"}, 401)
        self.exchanges += 1
        token = f"ya29.fake-{next(self._serial)}"
        self._issued.add(token)
        return JSONResponse({"access_token": token, "expires_in": TOKEN_LIFETIME_S, "token_type": "Bearer"})

    # -- the model endpoints --------------------------------------------------------------------

    async def _recorded(self, request: Request) -> tuple[bytes, dict[str, str]]:
        raw = await request.body()
        headers = {k.lower(): v for k, v in request.headers.items()}
        self.requests.append(RecordedRequest("POST", request.url.path, str(request.url),
                                             dict(request.query_params), headers, raw))
        return raw, headers

    async def _model(self, request: Request, project: str, region: str, publisher: str, target: str) -> Response:
        raw, headers = await self._recorded(request)
        token = headers.get("authorization", "").removeprefix("Bearer ")
        if token not in self._issued:
            return JSONResponse(gw.error_body(401, "Request had invalid authentication credentials."), 401)
        if project != PROJECT:
            return JSONResponse(gw.error_body(403, f"Permission denied on project {project}"), 403)
        return self._answer(request, publisher, target, orjson.loads(raw))

    async def _open_model(self, request: Request, project: str, region: str) -> Response:
        """Llama and other open models: OpenAI chat at the OpenAI-compatible endpoint."""
        raw, headers = await self._recorded(request)
        if headers.get("authorization", "").removeprefix("Bearer ") not in self._issued or project != PROJECT:
            return JSONResponse(gw.error_body(401, "Request had invalid authentication credentials."), 401)
        body: Any = orjson.loads(raw)
        if not isinstance(body.get("model"), str) or not body.get("messages"):
            return JSONResponse(ow.error_body(400, "model and messages are required"), 400)
        usage = ow.usage(ow.PROMPT_TOKENS, ow.COMPLETION_TOKENS)
        if body.get("stream") is not True:
            return JSONResponse(ow.chat_completion(body, reasoning=False, usage_obj=usage))
        chunks = ow.chat_chunks(body, reasoning=False, usage_obj=usage, usage_mode="separate")
        frames = [b"data: " + orjson.dumps(c) + b"\n\n" for c in chunks] + [b"data: [DONE]\n\n"]
        return StreamingResponse(iter(frames), media_type="text/event-stream")

    async def _express(self, request: Request, publisher: str, target: str) -> Response:
        """Express mode: Gemini publisher models only, the API key in `?key=`, no project."""
        raw, headers = await self._recorded(request)
        if request.query_params.get("key") != EXPRESS_KEY or "authorization" in headers:
            return JSONResponse(gw.error_body(401, "API key not valid. Please pass a valid API key."), 401)
        if publisher != "google":
            return JSONResponse(gw.error_body(400, "express mode serves Google models only"), 400)
        return self._answer(request, publisher, target, orjson.loads(raw))

    def _answer(self, request: Request, publisher: str, target: str, body: Any) -> Response:
        model, _, action = target.partition(":")
        p, c = ow.PROMPT_TOKENS, ow.COMPLETION_TOKENS
        if publisher == "google" and action == "predict":
            return _predict(model, body)
        if publisher == "google":
            problem = gw.validate(body)
            if problem:
                return JSONResponse(gw.error_body(400, problem), 400)
            if action == "generateContent":
                return JSONResponse(gw.reply(body, model, p, c))
            if action == "streamGenerateContent" and request.query_params.get("alt") == "sse":
                frames = [b"data: " + orjson.dumps(x) + b"\r\n\r\n" for x in gw.chunks(body, model, p, c)]
                return StreamingResponse(iter(frames), media_type="text/event-stream")
        elif publisher == "anthropic" and target == "count-tokens:rawPredict":
            if body.get("anthropic_version") != "vertex-2023-10-16" or "@" not in str(body.get("model")):
                return JSONResponse(
                    aw.error_body(400, "anthropic_version and a Vertex model name required"), 400
                )
            problem = aw.count_problem({k: v for k, v in body.items() if k != "anthropic_version"})
            if problem:
                return JSONResponse(aw.error_body(400, problem), 400)
            return JSONResponse({"input_tokens": aw.counted(body)})
        elif publisher == "anthropic":
            if "model" in body or body.get("anthropic_version") != "vertex-2023-10-16":
                return JSONResponse(aw.error_body(400, "anthropic_version: vertex-2023-10-16 required, no model"), 400)
            claude = {**body, "model": model}
            problem = aw.validate(claude)
            if problem:
                return JSONResponse(aw.error_body(400, problem), 400)
            if action == "rawPredict":
                return JSONResponse(aw.message(claude, p, c))
            if action == "streamRawPredict" and body.get("stream") is True:
                frames = [b"event: " + n.encode() + b"\ndata: " + orjson.dumps(e) + b"\n\n"
                          for n, e in aw.events(claude, p, c)]
                return StreamingResponse(iter(frames), media_type="text/event-stream")
        return JSONResponse(gw.error_body(404, f"unsupported {publisher} action {action}"), 404)

    def _build(self) -> FastAPI:
        app = FastAPI()
        app.add_api_route("/token", self._token, methods=["POST"])
        app.add_api_route("/v1/projects/{project}/locations/{region}/publishers/{publisher}/models/{target}",
                          self._model, methods=["POST"])
        app.add_api_route("/v1/publishers/{publisher}/models/{target}", self._express, methods=["POST"])
        app.add_api_route("/v1beta1/projects/{project}/locations/{region}/endpoints/openapi/chat/completions",
                          self._open_model, methods=["POST"])
        return app


def _predict(model: str, body: Any) -> Response:
    """Imagen (`instances[].prompt` -> image bytes) and the text-embedding models
    (`instances[].content` -> a vector and its token count each)."""
    instances = body.get("instances") if isinstance(body, dict) else None
    if not isinstance(instances, list) or not instances:
        return JSONResponse(gw.error_body(400, "instances is required"), 400)
    if model.startswith("imagen"):
        if not instances[0].get("prompt"):
            return JSONResponse(gw.error_body(400, "instances[0].prompt is required"), 400)
        count = (body.get("parameters") or {}).get("sampleCount", 1)
        return JSONResponse({"predictions": [{"bytesBase64Encoded": IMAGE_B64, "mimeType": "image/png"}] * count})
    if "embedding" in model:
        if not all(isinstance(i, dict) and isinstance(i.get("content"), str) for i in instances):
            return JSONResponse(gw.error_body(400, "instances[].content must be a string"), 400)
        size = (body.get("parameters") or {}).get("outputDimensionality") or len(ow.EMBEDDING)
        return JSONResponse({"predictions": [
            {"embeddings": {"values": (ow.EMBEDDING * size)[:size],
                            "statistics": {"token_count": EMBED_TOKENS, "truncated": False}}}
            for _ in instances]})
    return JSONResponse(gw.error_body(404, f"{model} does not serve predict"), 404)
