"""Codex channels: OAuth key issue (new channel and existing), refresh, usage; against a fake
sign-in endpoint and ChatGPT backend (CODEX_OAUTH_* point at it)."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import orjson
import pytest
from mgmt_helpers import app_client, auth, data, make_user, refused

from backend.config import reset_settings
from backend.db import session_scope
from backend.models import Channel
from backend.models.enums import Role
from backend.services import codex_oauth
from tests.fakes.codex_auth import ACCOUNT, EMAIL, USAGE, FakeCodexAuth, jwt


@pytest.fixture
def signin(sqlite_storage, monkeypatch):
    with FakeCodexAuth() as fake:
        monkeypatch.setenv("CODEX_OAUTH_AUTHORIZE_URL", fake.url + "/oauth/authorize")
        monkeypatch.setenv("CODEX_OAUTH_TOKEN_URL", fake.url + "/oauth/token")
        reset_settings()
        yield fake
    reset_settings()


def _start(c, h, fake, path: str, code: str) -> str:
    url = data(c.post(path, headers=h))["authorize_url"]
    assert url.startswith(fake.url + "/oauth/authorize?")
    query = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
    assert query["client_id"] == codex_oauth.CLIENT_ID and query["code_challenge_method"] == "S256"
    assert query["redirect_uri"] == codex_oauth.REDIRECT_URI
    fake.codes[code] = query["code_challenge"]
    return query["state"]


def _codex_channel(c, h, key: dict, base_url: str) -> int:
    return data(c.post("/api/channel/", json={"name": "cx", "type": 57, "key": orjson.dumps(key).decode(),
                                              "models": "gpt-5-codex", "base_url": base_url}, headers=h))["ids"][0]


def _key(cid: int) -> dict:
    with session_scope() as s:
        return orjson.loads(s.get(Channel, cid).key)


@pytest.mark.parametrize(("pasted", "expected"), [
    ("http://localhost:1455/auth/callback?code=abc&state=xyz", ("abc", "xyz")),
    ("code=abc&state=xyz", ("abc", "xyz")),
    ("abc#xyz", ("abc", "xyz")),
    ("  abc  ", ("abc", "")),
])
def test_parse_input(pasted, expected):
    assert codex_oauth.parse_input(pasted) == expected


def test_new_channel_key_then_usage_and_refresh(signin):
    c, h = app_client(), auth(make_user("adm", Role.ADMIN))
    state = _start(c, h, signin, "/api/channel/codex/oauth/start", "code-1")
    r = c.post("/api/channel/codex/oauth/complete", json={"input": f"code-1#{state}"}, headers=h)
    assert r.json()["message"] == "generated"
    got = data(r)
    assert got["account_id"] == ACCOUNT and got["email"] == EMAIL and got["expires_at"].endswith("Z")
    key = orjson.loads(got["key"])
    assert key["refresh_token"] == "rt-1" and key["type"] == "codex" and key["account_id"] == ACCOUNT
    # the flow is single-use
    assert refused(c.post("/api/channel/codex/oauth/complete", json={"input": f"code-1#{state}"}, headers=h),
                   400) == "oauth flow not started or session expired"

    cid = _codex_channel(c, h, key, signin.url)
    r = c.get(f"/api/channel/{cid}/codex/usage", headers=h)
    assert r.json() == {"success": True, "message": "", "upstream_status": 200, "data": USAGE}
    assert signin.requests[-1].headers["originator"] == "codex_cli_rs"

    out = c.post(f"/api/channel/{cid}/codex/refresh", headers=h).json()
    assert out["success"] is True and out["data"]["channel_id"] == cid
    assert _key(cid)["refresh_token"] == "rt-2" and _key(cid)["access_token"] == signin.current_access


def test_usage_refreshes_a_stale_token_once(signin):
    c, h = app_client(), auth(make_user("adm", Role.ADMIN))
    signin.refresh_tokens.add("rt-old")
    stale = {"access_token": jwt({"https://api.openai.com/auth": {"chatgpt_account_id": ACCOUNT}}),
             "account_id": ACCOUNT, "refresh_token": "rt-old"}
    cid = _codex_channel(c, h, stale, signin.url)
    r = c.get(f"/api/channel/{cid}/codex/usage", headers=h).json()
    assert r["success"] is True and r["data"] == USAGE
    assert _key(cid)["access_token"] == signin.current_access
    # no refresh token left that the fake accepts: the 401 comes back as the upstream said it
    signin.current_access = "rotated-elsewhere"
    signin.refresh_tokens.clear()
    r = c.get(f"/api/channel/{cid}/codex/usage", headers=h).json()
    assert r == {"success": False, "message": "upstream status: 401", "upstream_status": 401,
                 "data": {"detail": "Unauthorized"}}


def test_existing_channel_key_replaced(signin):
    c, h = app_client(), auth(make_user("adm", Role.ADMIN))
    cid = _codex_channel(c, h, {"access_token": "old", "account_id": "old-acc"}, signin.url)
    state = _start(c, h, signin, f"/api/channel/{cid}/codex/oauth/start", "code-9")
    assert refused(c.post(f"/api/channel/{cid}/codex/oauth/complete", json={"input": "code-9#wrong"},
                          headers=h), 400) == "state mismatch"
    # another admin cannot finish this admin's flow
    other = auth(make_user("adm2", Role.ADMIN))
    refused(c.post(f"/api/channel/{cid}/codex/oauth/complete", json={"input": f"code-9#{state}"},
                   headers=other), 400)
    r = c.post(f"/api/channel/{cid}/codex/oauth/complete",
               json={"input": f"http://localhost:1455/auth/callback?code=code-9&state={state}"}, headers=h)
    assert r.json()["message"] == "saved" and "key" not in data(r) and data(r)["channel_id"] == cid
    assert _key(cid)["account_id"] == ACCOUNT and _key(cid)["refresh_token"] == "rt-1"


def test_refusals(signin):
    c, h = app_client(), auth(make_user("adm", Role.ADMIN))
    openai = data(c.post("/api/channel/", json={"name": "o", "type": 1, "key": "k", "models": "m"},
                         headers=h))["ids"][0]
    for method, path in (("POST", "oauth/start"), ("POST", "refresh"), ("GET", "usage")):
        assert refused(c.request(method, f"/api/channel/{openai}/codex/{path}", headers=h), 400) == (
            "channel type is not Codex")
        refused(c.request(method, f"/api/channel/987654/codex/{path}", headers=h), 404)
    assert refused(c.post("/api/channel/codex/oauth/complete", json={"input": ""}, headers=h), 400) == "empty input"
    assert refused(c.post("/api/channel/codex/oauth/complete", json={"input": "abc"}, headers=h), 400) == (
        "missing state in input")
    # a wrong code: the token endpoint refuses, the gateway says so without a 500
    state = _start(c, h, signin, "/api/channel/codex/oauth/start", "code-2")
    assert "status=400" in refused(c.post("/api/channel/codex/oauth/complete", json={"input": f"bad#{state}"},
                                          headers=h), 502)
    no_refresh = _codex_channel(c, h, {"access_token": "a", "account_id": "b"}, signin.url)
    assert refused(c.post(f"/api/channel/{no_refresh}/codex/refresh", headers=h), 400) == (
        "codex channel: refresh_token is required")
