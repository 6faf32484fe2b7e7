"""The relay answers browsers on any origin without credentials; the console and /api stay same-origin,
even behind a strict CORS layer like the one Reflex puts around everything it serves."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from starlette.middleware.cors import CORSMiddleware
from starlette.responses import JSONResponse

from backend.relay_cors import RelayCORS, is_open_path

EVIL = "http://evil.example"


def _client() -> TestClient:
    inner = FastAPI()

    @inner.api_route("/v1/chat/completions", methods=["POST"])
    def chat() -> JSONResponse:
        return JSONResponse({"ok": True}, headers={"Access-Control-Allow-Credentials": "true"})

    @inner.get("/v1/models")
    def models() -> dict:
        return {"data": []}

    @inner.get("/api/user/self")
    def me() -> dict:
        return {"id": 1}

    # Like Reflex: an empty origin list, credentials allowed, around the whole app.
    inner.add_middleware(CORSMiddleware, allow_origins=[], allow_credentials=True, allow_methods=["*"],
                         allow_headers=["*"])
    return TestClient(RelayCORS(inner))


def test_relay_preflight_from_any_origin_without_credentials() -> None:
    r = _client().options("/v1/chat/completions", headers={
        "Origin": EVIL, "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization, content-type, x-stainless-os",
    })
    assert r.status_code == 204
    assert r.headers["access-control-allow-origin"] == "*"
    assert "access-control-allow-credentials" not in r.headers
    assert r.headers["access-control-allow-headers"] == "authorization, content-type, x-stainless-os"
    assert "POST" in r.headers["access-control-allow-methods"]


def test_relay_response_is_open_and_never_credentialed() -> None:
    c = _client()
    r = c.post("/v1/chat/completions", headers={"Origin": EVIL}, json={})
    assert r.status_code == 200 and r.json() == {"ok": True}
    assert r.headers["access-control-allow-origin"] == "*"
    assert "access-control-allow-credentials" not in r.headers
    assert c.get("/v1/models", headers={"Origin": EVIL}).headers["access-control-allow-origin"] == "*"


def test_relay_without_origin_is_untouched() -> None:
    r = _client().get("/v1/models")
    assert r.status_code == 200
    assert "access-control-allow-origin" not in r.headers


def test_management_api_stays_same_origin() -> None:
    c = _client()
    pre = c.options("/api/user/self", headers={"Origin": EVIL, "Access-Control-Request-Method": "GET"})
    assert pre.status_code == 400
    assert "access-control-allow-origin" not in pre.headers
    r = c.get("/api/user/self", headers={"Origin": EVIL})
    assert "access-control-allow-origin" not in r.headers


@pytest.mark.parametrize(("path", "open_"), [
    ("/v1/chat/completions", True), ("/v1", True), ("/v1beta/models/x:generateContent", True),
    ("/dashboard/billing/usage", True), ("/api/log/token", True), ("/api/user/login", False),
    ("/v10/x", False), ("/login", False), ("/_event/", False),
])
def test_open_paths(path: str, open_: bool) -> None:
    assert is_open_path(path) is open_
