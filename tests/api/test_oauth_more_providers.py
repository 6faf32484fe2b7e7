"""Discord, LinuxDO (minimum trust level), WeChat (server-verified code) and the external JWT /
trusted-header logins of custom providers, each against a local fake over HTTP."""

from __future__ import annotations

import time

import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from fastapi.testclient import TestClient
from joserfc import jwt
from joserfc.jwk import RSAKey
from mgmt_helpers import app_client, auth, data, make_user, refused

from backend.config import reset_settings
from backend.db import session_scope
from backend.main import create_app
from backend.models import User
from backend.models.enums import Role
from backend.services import options
from tests.conftest import LiveServer
from tests.fakes.oauth_provider import CLIENT_ID, CLIENT_SECRET, FakeOAuthProvider


@pytest.fixture
def fake(storage, monkeypatch):
    with FakeOAuthProvider() as provider:
        monkeypatch.setenv("DISCORD_BASE", provider.url)
        monkeypatch.setenv("LINUX_DO_TOKEN_ENDPOINT", f"{provider.url}/oauth2/token")
        monkeypatch.setenv("LINUX_DO_USER_ENDPOINT", f"{provider.url}/api/user")
        reset_settings()
        options.update("ServerAddress", "http://gw.test")
        yield provider


def _login_via(client: TestClient, slug: str, code: str):
    return client.get(f"/api/oauth/{slug}", params={"code": code, "state": data(client.get("/api/oauth/state"))})


def test_discord(fake):
    options.update("discord.client_id", CLIENT_ID)
    options.update("discord.client_secret", CLIENT_SECRET)
    options.update("discord.enabled", "true")
    fake.accounts["d1"] = {"id": "80351110224678912", "username": "nelly", "global_name": "Nelly"}
    me = data(_login_via(app_client(), "discord", "d1"))
    assert (me["username"], me["display_name"], me["discord_id"]) == ("nelly", "Nelly", "80351110224678912")
    req = fake.token_requests[-1]
    assert req.path == "/api/v10/oauth2/token" and req.form["redirect_uri"] == "http://gw.test/oauth/discord"
    assert req.form["client_secret"] == CLIENT_SECRET


def test_linuxdo_minimum_trust_level(fake):
    options.update("LinuxDOClientId", CLIENT_ID)
    options.update("LinuxDOClientSecret", CLIENT_SECRET)
    options.update("LinuxDOOAuthEnabled", "true")
    options.update("LinuxDOMinimumTrustLevel", "2")
    fake.accounts["l1"] = {"id": 7, "username": "newbie", "name": "N", "trust_level": 1}
    assert "trust level" in refused(_login_via(app_client(), "linuxdo", "l1"), 403)
    assert fake.token_requests[-1].headers["authorization"].startswith("Basic ")  # client_secret_basic
    fake.accounts["l2"] = {"id": 8, "username": "regular", "name": "R", "trust_level": 2}
    assert data(_login_via(app_client(), "linuxdo", "l2"))["linux_do_id"] == "8"
    with session_scope() as s:
        assert [u.username for u in s.query(User).all()] == ["regular"]


@pytest.fixture
def wechat_server(storage):
    app = FastAPI()
    codes = {"123456": "wx-openid-1"}

    @app.get("/api/wechat/user")
    def user(code: str, request: Request) -> JSONResponse:
        if request.headers.get("authorization") != "wx-token":
            return JSONResponse({"success": False, "message": "unauthorized"})
        wid = codes.pop(code, "")
        return JSONResponse({"success": bool(wid), "message": "" if wid else "bad code", "data": wid})

    with LiveServer(app) as server:
        options.update("WeChatServerAddress", server.url)
        options.update("WeChatServerToken", "wx-token")
        options.update("WeChatAuthEnabled", "true")
        yield codes


def test_wechat_login_and_bind(wechat_server):
    me = data(app_client().get("/api/oauth/wechat", params={"code": "123456"}))
    assert me["wechat_id"] == "wx-openid-1" and me["username"] == "wechat_1"
    refused(app_client().get("/api/oauth/wechat", params={"code": "123456"}), 400)  # used up at the server
    bob = make_user("bob")
    wechat_server["654321"] = "wx-openid-2"
    data(app_client().post("/api/oauth/wechat/bind", json={"code": "654321"}, headers=auth(bob)))
    with session_scope() as s:
        assert s.get(User, bob.id).wechat_id == "wx-openid-2"
    wechat_server["111111"] = "wx-openid-1"
    refused(app_client().post("/api/oauth/wechat/bind", json={"code": "111111"}, headers=auth(bob)), 400)


KEY = RSAKey.generate_key(2048, private=True)
OTHER_KEY = RSAKey.generate_key(2048, private=True)


def _jwt(claims: dict, key: RSAKey = KEY) -> str:
    base = {"iss": "https://idp.test", "aud": "newapi", "exp": int(time.time()) + 300, "sub": "emp-1",
            "preferred_username": "erin", "email": "erin@corp.io"}
    return jwt.encode({"alg": "RS256"}, {**base, **claims}, key)


def test_external_jwt_login(storage):
    root = make_user("root", Role.ROOT)
    c = app_client()
    body = {"name": "Corp JWT", "slug": "corpjwt", "kind": "jwt_direct", "enabled": True, "issuer": "https://idp.test",
            "audience": "newapi", "public_key": KEY.as_pem(private=False).decode(), "auto_register": True}
    data(c.post("/api/custom-oauth-provider/", json=body, headers=auth(root)))
    browser = app_client()

    def login(token: str, state: str | None = None):
        state = state if state is not None else data(browser.get("/api/oauth/state"))
        return browser.post("/api/auth/external/corpjwt/jwt/login", json={"state": state, "token": token})

    refused(login(_jwt({}), state="wrong"), 403)
    refused(login(_jwt({}, key=OTHER_KEY)), 401)          # not signed by the provider
    refused(login(_jwt({"exp": int(time.time()) - 3600})), 401)  # expired
    refused(login(_jwt({"iss": "https://evil.test"})), 401)
    refused(login(_jwt({"aud": "someone-else"})), 401)
    me = data(login(_jwt({})))
    assert me["username"] == "erin"
    again = app_client()
    state = data(again.get("/api/oauth/state"))
    same = data(again.post("/api/auth/external/corpjwt/jwt/login", json={"state": state, "id_token": _jwt({})}))
    assert same["id"] == me["id"]

    # without auto_register an unknown identity gets no account
    data(c.put("/api/custom-oauth-provider/1", json={"auto_register": False}, headers=auth(root)))
    stranger = app_client()
    refused(stranger.post("/api/auth/external/corpjwt/jwt/login", json={
        "state": data(stranger.get("/api/oauth/state")),
        "token": _jwt({"sub": "emp-2", "preferred_username": "frank", "email": "f@corp.io"})}), 403)
    # the logged-in browser binds instead
    assert login(_jwt({"sub": "emp-3"})).json()["data"] == {"action": "bind"}
    refused(c.post("/api/custom-oauth-provider/", headers=auth(root), json={**body, "slug": "x", "jwt_acquire_mode":
                                                                           "ticket_exchange"}), 400)


def test_trusted_header_login(storage):
    root = make_user("root", Role.ROOT)
    bob = make_user("bob")
    with session_scope() as s:
        row = s.get(User, bob.id)
        row.email = "bob@corp.io"
        s.add(row)
    body = {"name": "Proxy", "slug": "proxy", "kind": "trusted_header", "enabled": True,
            "trusted_proxy_cidrs": '["10.0.0.0/8"]', "external_id_header": "X-Auth-User",
            "email_header": "X-Auth-Email", "auto_merge_by_email": True}
    data(app_client().post("/api/custom-oauth-provider/", json=body, headers=auth(root)))
    headers = {"X-Auth-User": "bob-ext", "X-Auth-Email": "bob@corp.io"}
    outsider = TestClient(create_app(with_lifespan=False), client=("203.0.113.9", 5000))
    refused(outsider.post("/api/auth/external/proxy/header/login", headers=headers), 403)
    proxied = TestClient(create_app(with_lifespan=False), client=("10.1.2.3", 5000))
    me = data(proxied.post("/api/auth/external/proxy/header/login", headers=headers))
    assert me["id"] == bob.id  # merged by email, and now bound
    fresh = TestClient(create_app(with_lifespan=False), client=("10.1.2.3", 5000))
    refused(fresh.post("/api/auth/external/proxy/header/login", headers={"X-Auth-User": "nobody"}), 403)
    refused(fresh.post("/api/auth/external/proxy/header/login"), 401)
