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

    async def _model(self, request: Request, project: str, region: str, publisher: str, target: str) -> Response:
        raw = await request.body()
        headers = {k.lower(): v for k, v in request.headers.items()}
        self.requests.append(RecordedRequest("POST", request.url.path, str(request.url),
                                             dict(request.query_params), headers, raw))
        token = headers.get("authorization", "").removeprefix("Bearer ")
        if token not in self._issued:
            return JSONResponse(gw.error_body(401, "Request had invalid authentication credentials."), 401)
        if project != PROJECT:
            return JSONResponse(gw.error_body(403, f"Permission denied on project {project}"), 403)
        body: Any = orjson.loads(raw)
        model, _, action = target.partition(":")
        p, c = ow.PROMPT_TOKENS, ow.COMPLETION_TOKENS
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
        return app
