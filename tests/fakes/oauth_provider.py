"""A fake OAuth 2.0 / OpenID Connect provider over real HTTP, for the social-login tests.

    with FakeOAuthProvider() as fake:        # serves on a loopback port (LiveServer)
        fake.accounts["code-1"] = {"sub": "u1", "email": "a@x.io"}   # the profile behind a code
        ... point the gateway's endpoints at fake.url ...
        fake.token_requests[-1].form["redirect_uri"]

One server answers the paths of every provider shape the gateway speaks: GitHub
(`/login/oauth/access_token`, `/user`), Discord (`/api/v10/oauth2/token`, `/api/v10/users/@me`),
LinuxDO (`/oauth2/token` with HTTP Basic client auth, `/api/user`), OIDC and custom providers
(`/.well-known/openid-configuration`, `/token`, `/userinfo`). A code works once and only for the
client id and secret it was set up with, as a real provider's does; a wrong client gets
`invalid_client`, a used or unknown code `invalid_grant`. User info needs the issued bearer token.

For a browser flow, `/authorize` (and GitHub's `/login/oauth/authorize`) plays the consent page:
it issues a code for `fake.next_login` (the profile the person "signs in" as) and sends the browser
back to `redirect_uri` with it and the state, as a provider does after the person agrees.
"""

from __future__ import annotations

import base64
import secrets
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlencode

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse, RedirectResponse

from tests.conftest import LiveServer

CLIENT_ID = "fake-client-id"
CLIENT_SECRET = "fake-client-secret"


@dataclass
class TokenRequest:
    path: str
    form: dict[str, str]
    headers: dict[str, str]


@dataclass
class FakeOAuthProvider:
    client_id: str = CLIENT_ID
    client_secret: str = CLIENT_SECRET
    accounts: dict[str, dict[str, Any]] = field(default_factory=dict)  # code -> user-info body
    token_requests: list[TokenRequest] = field(default_factory=list)
    userinfo_requests: int = 0
    next_login: dict[str, Any] | None = None  # who signs in at /authorize
    authorize_requests: list[dict[str, str]] = field(default_factory=list)
    _tokens: dict[str, dict[str, Any]] = field(default_factory=dict)
    _server: LiveServer | None = None

    @property
    def url(self) -> str:
        assert self._server is not None
        return self._server.url

    def _client_of(self, form: dict[str, str], headers: dict[str, str]) -> tuple[str, str]:
        auth = headers.get("authorization", "")
        if auth.lower().startswith("basic "):
            cid, _, secret = base64.b64decode(auth[6:]).decode().partition(":")
            return cid, secret
        return form.get("client_id", ""), form.get("client_secret", "")

    def app(self) -> FastAPI:
        app = FastAPI()

        async def token(request: Request) -> JSONResponse:
            raw = (await request.body()).decode()
            if request.headers.get("content-type", "").startswith("application/json"):
                form = {k: str(v) for k, v in (await request.json()).items()}
            else:
                form = {k: v[0] for k, v in parse_qs(raw).items()}
            headers = {k.lower(): v for k, v in request.headers.items()}
            self.token_requests.append(TokenRequest(request.url.path, form, headers))
            if self._client_of(form, headers) != (self.client_id, self.client_secret):
                return JSONResponse({"error": "invalid_client"}, status_code=401)
            profile = self.accounts.pop(form.get("code", ""), None)
            if profile is None or form.get("grant_type", "authorization_code") != "authorization_code":
                return JSONResponse({"error": "invalid_grant", "error_description": "bad code"}, status_code=400)
            access = secrets.token_hex(16)
            self._tokens[access] = profile
            return JSONResponse({"access_token": access, "token_type": "Bearer", "scope": "openid"})

        async def userinfo(request: Request) -> JSONResponse:
            self.userinfo_requests += 1
            auth = request.headers.get("authorization", "")
            profile = self._tokens.get(auth[7:]) if auth.lower().startswith("bearer ") else None
            if profile is None:
                return JSONResponse({"error": "invalid_token"}, status_code=401)
            return JSONResponse(profile)

        async def authorize(request: Request) -> Response:
            query = dict(request.query_params)
            self.authorize_requests.append(query)
            if query.get("client_id") != self.client_id or self.next_login is None:
                return JSONResponse({"error": "invalid_request"}, status_code=400)
            code = secrets.token_hex(8)
            self.accounts[code] = self.next_login
            back = query.get("redirect_uri", "")
            sep = "&" if "?" in back else "?"
            return RedirectResponse(f"{back}{sep}{urlencode({'code': code, 'state': query.get('state', '')})}",
                                    status_code=302)

        async def discovery(_request: Request) -> JSONResponse:
            return JSONResponse({"issuer": self.url, "authorization_endpoint": f"{self.url}/authorize",
                                 "token_endpoint": f"{self.url}/token", "userinfo_endpoint": f"{self.url}/userinfo"})

        for path in ("/login/oauth/access_token", "/api/v10/oauth2/token", "/oauth2/token", "/token"):
            app.add_api_route(path, token, methods=["POST"])
        for path in ("/user", "/api/v10/users/@me", "/api/user", "/userinfo"):
            app.add_api_route(path, userinfo, methods=["GET"])
        for path in ("/authorize", "/login/oauth/authorize"):
            app.add_api_route(path, authorize, methods=["GET"])
        app.add_api_route("/.well-known/openid-configuration", discovery, methods=["GET"])
        return app

    def __enter__(self) -> FakeOAuthProvider:
        self._server = LiveServer(self.app()).__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._server is not None:
            self._server.__exit__(*exc)
