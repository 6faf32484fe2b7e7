"""A fake OpenAI sign-in token endpoint and ChatGPT usage backend for Codex channels.

`/oauth/token` exchanges a code the test registered (with the PKCE challenge of the authorize URL
the gateway built, so a wrong verifier fails) and refreshes a known refresh token; each grant
issues the next access token, an unsigned JWT with the account claims the gateway reads.
`/backend-api/wham/usage` answers only the newest access token (an older one gets 401)."""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass, field

import orjson
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

from tests.fakes.served import ServedFake

ACCOUNT = "acc-7f3e"
EMAIL = "codex-owner@example.com"
USAGE = {"plan_type": "plus", "rate_limit": {"allowed": True, "limit_reached": False,
                                             "primary_window": {"used_percent": 12.5, "reset_after_seconds": 3600}}}


def jwt(claims: dict) -> str:
    def part(obj: dict) -> str:
        return base64.urlsafe_b64encode(orjson.dumps(obj)).rstrip(b"=").decode()

    return f"{part({'alg': 'none'})}.{part(claims)}.sig"


@dataclass
class FakeCodexAuth(ServedFake):
    codes: dict[str, str] = field(default_factory=dict)  # code -> PKCE challenge
    refresh_tokens: set[str] = field(default_factory=set)
    issued: int = 0
    current_access: str = ""

    def _issue(self) -> dict:
        self.issued += 1
        self.current_access = jwt({"email": EMAIL, "https://api.openai.com/auth": {"chatgpt_account_id": ACCOUNT},
                                   "n": self.issued})
        refresh = f"rt-{self.issued}"
        self.refresh_tokens.add(refresh)
        return {"access_token": self.current_access, "refresh_token": refresh, "expires_in": 864000,
                "id_token": "x"}

    def install(self, app: FastAPI) -> None:
        @app.post("/oauth/token")
        async def token(request: Request) -> Response:
            await self.record(request)
            form = await request.form()
            if form.get("grant_type") == "authorization_code":
                challenge = self.codes.pop(str(form.get("code")), None)
                digest = hashlib.sha256(str(form.get("code_verifier", "")).encode()).digest()
                if challenge is None or base64.urlsafe_b64encode(digest).rstrip(b"=").decode() != challenge:
                    return JSONResponse({"error": "invalid_grant"}, status_code=400)
                return JSONResponse(self._issue())
            if form.get("grant_type") == "refresh_token" and form.get("refresh_token") in self.refresh_tokens:
                self.refresh_tokens.discard(str(form.get("refresh_token")))
                return JSONResponse(self._issue())
            return JSONResponse({"error": "invalid_grant"}, status_code=401)

        @app.get("/backend-api/wham/usage")
        async def usage(request: Request) -> Response:
            _, headers = await self.record(request)
            if headers.get("authorization") != f"Bearer {self.current_access}" or (
                    headers.get("chatgpt-account-id") != ACCOUNT):
                return JSONResponse({"detail": "Unauthorized"}, status_code=401)
            return JSONResponse(USAGE)
