"""Custom jwt_direct providers: the ticket_exchange acquire mode against a local exchange endpoint,
and new-api's group/role mapping from claims and trusted-proxy headers (on registration, and on
login when the provider syncs), never touching a root's role."""

from __future__ import annotations

import time

import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, PlainTextResponse
from fastapi.testclient import TestClient
from joserfc import jwt
from joserfc.jwk import RSAKey
from mgmt_helpers import app_client, auth, data, make_user, refused
from sqlmodel import select

from backend.db import session_scope
from backend.main import create_app
from backend.models import CustomOAuthProvider, User
from backend.models.enums import Role
from backend.services import external_login, external_ticket, options
from tests.conftest import LiveServer

KEY = RSAKey.generate_key(2048, private=True)


def _jwt(**claims: object) -> str:
    base = {"iss": "https://idp.test", "aud": "newapi", "exp": int(time.time()) + 300, "sub": "emp-1",
            "preferred_username": "erin", "email": "erin@corp.io", "groups": ["engineering"],
            "roles": ["platform-admin"]}
    return jwt.encode({"alg": "RS256"}, {**base, **claims}, KEY)


class Exchange:
    """The identity provider's ticket endpoint: one valid ticket per issued JWT, JSON POST."""

    def __init__(self) -> None:
        self.tickets: dict[str, str] = {}
        self.seen: list[dict] = []
        self.app = FastAPI()

        @self.app.post("/api/exchange")
        async def exchange(request: Request):
            body = await request.json()
            self.seen.append({"body": body, "auth": request.headers.get("authorization", "")})
            if request.headers.get("authorization") != "Bearer exch-secret":
                return JSONResponse({"error": "unauthorized"}, 401)
            token = self.tickets.pop(body.get("ticket", ""), None)
            if token is None:
                return JSONResponse({"success": False}, 400)
            if token == "no-token":
                return JSONResponse({"success": True, "data": {"user": "alice"}})
            return JSONResponse({"success": True, "data": {"token": token}})

        @self.app.get("/plain")
        async def plain(ticket: str):
            return PlainTextResponse(self.tickets.pop(ticket, "nope"))


@pytest.fixture
def exchange(storage):
    ex = Exchange()
    with LiveServer(ex.app) as server:
        ex.url = server.url
        options.update("ServerAddress", "http://gw.test")
        options.update("GroupRatio", '{"default": 1, "vip": 0.8}')
        yield ex


def _provider(root, ex: Exchange, **extra: object) -> None:
    body = {"name": "Corp SSO", "slug": "corp", "kind": "jwt_direct", "enabled": True, "issuer": "https://idp.test",
            "audience": "newapi", "public_key": KEY.as_pem(private=False).decode(), "auto_register": True,
            "jwt_acquire_mode": "ticket_exchange", "ticket_exchange_url": f"{ex.url}/api/exchange",
            "ticket_exchange_method": "POST", "ticket_exchange_payload_mode": "json",
            "ticket_exchange_token_field": "data.token", "ticket_exchange_service_field": "service",
            "ticket_exchange_extra_params": '{"source": "{provider_slug}"}',
            "ticket_exchange_headers": '{"Authorization": "Bearer exch-secret"}',
            "group_field": "groups", "group_mapping": '{"engineering": "vip", "ops": "ghost"}',
            "role_field": "roles", "role_mapping": '{"platform-admin": "admin", "boss": "root"}', **extra}
    data(app_client().post("/api/custom-oauth-provider/", json=body, headers=auth(root)))


def _ticket_login(ex: Exchange, ticket: str, token: str | None):
    if token is not None:
        ex.tickets[ticket] = token
    browser = app_client()
    state = data(browser.get("/api/oauth/state"))
    return browser.post("/api/auth/external/corp/jwt/login", json={"state": state, "ticket": ticket})


def test_ticket_exchange_logs_in_with_mapped_group_and_role(exchange):
    root = make_user("root", Role.ROOT)
    _provider(root, exchange)
    me = data(_ticket_login(exchange, "ST-1", _jwt()))
    sent = exchange.seen[-1]["body"]
    assert sent == {"ticket": "ST-1", "service": "http://gw.test/oauth/corp", "source": "corp"}
    assert (me["username"], me["group"], me["role"]) == ("erin", "vip", int(Role.ADMIN))
    # the same ticket again is refused by the provider; so is a reply without a token
    refused(_ticket_login(exchange, "ST-1", None), 401)
    refused(_ticket_login(exchange, "ST-2", "no-token"), 502)
    refused(_ticket_login(exchange, "", None), 400)
    # a JWT from the exchange still has to verify
    forged = jwt.encode({"alg": "RS256"}, {"sub": "x", "exp": int(time.time()) + 60},
                        RSAKey.generate_key(2048, private=True))
    refused(_ticket_login(exchange, "ST-3", forged), 401)


def test_mapping_applies_on_login_only_when_synced(exchange):
    root = make_user("root", Role.ROOT)
    _provider(root, exchange)
    data(_ticket_login(exchange, "A", _jwt()))
    with session_scope() as s:
        row = s.exec(select(User).where(User.username == "erin")).one()
        row.group, row.role = "default", int(Role.COMMON)
        s.add(row)
    me = data(_ticket_login(exchange, "B", _jwt()))
    assert (me["group"], me["role"]) == ("default", int(Role.COMMON))  # no sync: left as the admin set it
    data(app_client().put("/api/custom-oauth-provider/1", json={"sync_group_on_login": True,
                                                               "sync_role_on_login": True}, headers=auth(root)))
    me = data(_ticket_login(exchange, "C", _jwt()))
    assert (me["group"], me["role"]) == ("vip", int(Role.ADMIN))
    # an unmapped group changes nothing in explicit_only mode
    me = data(_ticket_login(exchange, "D", _jwt(groups=["default"], roles=["nobody"])))
    assert (me["group"], me["role"]) == ("vip", int(Role.ADMIN))


def test_a_root_keeps_its_role(exchange):
    root = make_user("root", Role.ROOT)
    _provider(root, exchange, sync_role_on_login=True, sync_group_on_login=True, auto_merge_by_email=True,
              role_mapping='{"platform-admin": "common"}')
    with session_scope() as s:
        row = s.get(User, root.id)
        row.email = "erin@corp.io"
        s.add(row)
    me = data(_ticket_login(exchange, "R", _jwt()))
    assert me["id"] == root.id and me["role"] == int(Role.ROOT) and me["group"] == "vip"


def test_trusted_header_groups_and_roles(storage):
    options.update("GroupRatio", '{"default": 1, "vip": 0.8}')
    root = make_user("root", Role.ROOT)
    body = {"name": "Proxy", "slug": "proxy", "kind": "trusted_header", "enabled": True, "auto_register": True,
            "trusted_proxy_cidrs": '["10.0.0.0/8"]', "external_id_header": "X-Auth-User",
            "username_header": "X-Auth-Name", "group_header": "X-Auth-Groups", "role_header": "X-Auth-Roles",
            "group_mapping_mode": "mapping_first", "role_mapping_mode": "mapping_first"}
    data(app_client().post("/api/custom-oauth-provider/", json=body, headers=auth(root)))
    proxied = TestClient(create_app(with_lifespan=False), client=("10.1.2.3", 5000))
    me = data(proxied.post("/api/auth/external/proxy/header/login", headers={
        "X-Auth-User": "u-9", "X-Auth-Name": "gina", "X-Auth-Groups": "unknown, vip", "X-Auth-Roles": "admin"}))
    assert (me["username"], me["group"], me["role"]) == ("gina", "vip", int(Role.ADMIN))


def _p(**kw: object) -> CustomOAuthProvider:
    return CustomOAuthProvider(name="P", slug="p", **kw)


@pytest.mark.parametrize(("values", "mapping", "mode", "want"), [
    (["engineering"], '{"engineering": "vip"}', "explicit_only", "vip"),
    (["ops", "engineering"], '{"ops": "ghost", "engineering": "vip"}', "explicit_only", "vip"),  # ghost: no such group
    (["vip"], "{}", "explicit_only", ""),
    (["vip"], "{}", "mapping_first", "vip"),
    (["auto"], "{}", "mapping_first", "auto"),
    (["nope"], "not json", "mapping_first", ""),
])
def test_mapped_group_table(sqlite_storage, values, mapping, mode, want):
    options.update("GroupRatio", '{"default": 1, "vip": 0.8}')
    assert external_login.mapped_group(_p(group_mapping=mapping, group_mapping_mode=mode), values) == want


@pytest.mark.parametrize(("values", "mapping", "mode", "want"), [
    (["platform-admin"], '{"platform-admin": "admin"}', "explicit_only", int(Role.ADMIN)),
    (["boss"], '{"boss": "root"}', "explicit_only", 0),  # root is never granted
    (["admin"], "{}", "explicit_only", 0),
    (["Administrator"], "{}", "mapping_first", int(Role.ADMIN)),
    (["member"], "{}", "mapping_first", int(Role.COMMON)),
])
def test_mapped_role_table(values, mapping, mode, want):
    assert external_login.mapped_role(_p(role_mapping=mapping, role_mapping_mode=mode), values) == want


@pytest.mark.parametrize(("body", "field", "want"), [
    (b'{"data": {"token": "a.b.c"}}', "data.token", "a.b.c"),
    (b'{"access_token": "Bearer a.b.c"}', "", "a.b.c"),
    (b'{"result": {"token": "x.y.z"}}', "nowhere", "x.y.z"),
    (b'"q.r.s"', "", "q.r.s"),
    (b"t.u.v\n", "", "t.u.v"),
    (b'{"token": "not-a-jwt"}', "", ""),
    (b"", "", ""),
])
def test_token_from_reply_table(body, field, want):
    assert external_ticket.token_from_reply(body, field) == want
