"""Hostile input to the management API gets a clear 4xx in the envelope, never a 500.

The route walk covers every /api route the app serves (new routes are included automatically):
numbers wider than the 64-bit columns in the path, the query and the body, as root so that no
role check stops the request before the input is used.
"""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from mgmt_helpers import auth, data, make_user, refused

from backend.main import create_app
from backend.models.enums import Role
from backend.models.schemas.redemption import RedemptionCreate
from backend.services import redemptions

HUGE = 2**70
# Fields the management bodies use for numbers (ids, quotas, timestamps, enums).
NUMERIC_FIELDS = ["id", "quota", "count", "expired_time", "remain_quota", "status", "type", "priority",
                  "weight", "role", "user_id", "channel_id", "amount", "auto_ban"]
# Routes whose side effect would end the walk (a new access token invalidates the one in use).
SKIPPED = {"/api/user/token", "/api/user/logout"}
# Routes answering a payment provider in its own protocol (Epay reads plain `success` / `fail`).
PLAIN_TEXT = {"/api/user/epay/notify", "/api/subscription/epay/notify"}  # Epay expects success/fail


def _routes(client: TestClient) -> list:
    """Every route FastAPI serves under /api, with its path, methods and query parameters."""
    contexts = []
    for route in client.app.routes:
        if hasattr(route, "effective_route_contexts"):
            contexts.extend(route.effective_route_contexts())
        elif hasattr(route, "dependant"):
            contexts.append(route)
    return [c for c in contexts if c.path.startswith("/api/") and "{path:path}" not in c.path
            and c.path not in SKIPPED]


def _client() -> TestClient:
    return TestClient(create_app(with_lifespan=False), raise_server_exceptions=False)


def test_no_route_fails_on_a_number_wider_than_64_bits(storage):
    client = _client()
    root = make_user("root", Role.ROOT)
    headers = auth(root)
    routes = _routes(client)
    assert len(routes) > 60  # the walk really covers the API
    body = {name: HUGE for name in NUMERIC_FIELDS} | {"ids": [HUGE]}
    failures = []
    for route in routes:
        path = re.sub(r"\{\w+(:int)?\}", str(HUGE), route.path)
        query = {p.alias: str(HUGE) for p in route.dependant.query_params}
        for method in route.methods:
            response = client.request(method, path, params=query, headers=headers,
                                      json=None if method in ("GET", "DELETE") else body, follow_redirects=False)
            if 300 <= response.status_code < 400:  # a payment return page sends the browser on
                continue
            if route.path in PLAIN_TEXT and response.status_code < 500:
                assert response.text == "fail" or response.json()["success"] is False, (method, route.path)
            elif response.status_code >= 500 or not response.headers["content-type"].startswith("application/json"):
                failures.append((method, route.path, response.status_code, response.text[:120]))
            else:
                assert "success" in response.json(), (method, route.path, response.text)
    assert failures == []


@pytest.mark.parametrize("path", ["/api/token/", "/api/channel/"])
@pytest.mark.parametrize("field", ["remain_quota", "priority"])
def test_a_wide_number_in_a_body_is_a_400(sqlite_storage, path, field):
    admin = make_user("root", Role.ROOT)
    body = {"name": "n", "key": "k", "models": "m", "type": 1, field: HUGE}
    message = refused(_client().post(path, json=body, headers=auth(admin)), 400)
    assert "out of range" in message


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_are_refused(sqlite_storage, constant):
    user = make_user("ann")
    raw = '{"notify_type": "email", "quota_warning_threshold": ' + constant + "}"
    headers = auth(user) | {"Content-Type": "application/json"}
    message = refused(_client().put("/api/user/setting", content=raw, headers=headers), 400)
    assert constant.lstrip("-") in message
    assert "NaN" not in data(_client().get("/api/user/self", headers=auth(user)))["setting"]


def test_deeply_nested_json_is_a_400(sqlite_storage):
    user = make_user("ann")
    raw = "[" * 100_000 + "]" * 100_000
    headers = auth(user) | {"Content-Type": "application/json"}
    response = _client().put("/api/user/setting", content=raw, headers=headers)
    assert 400 <= response.status_code < 500
    assert response.json()["success"] is False


def test_search_keywords_are_literal(storage):
    """`%` and `_` are not wildcards in any search; a non-ASCII digit is not an id."""
    admin = make_user("root", Role.ROOT)
    make_user("bob")
    redemptions.create_codes(admin.id, RedemptionCreate(name="gift", quota=100, count=2))
    client = _client()
    headers = auth(admin)
    for keyword in ("%", "_", "b_b", "%o%"):
        assert data(client.get("/api/user/search", params={"keyword": keyword}, headers=headers))["items"] == []
        assert data(client.get("/api/redemption/search", params={"keyword": keyword}, headers=headers))["items"] == []
        assert data(client.get("/api/token/search", params={"keyword": keyword}, headers=headers))["items"] == []
        assert data(client.get("/api/log/search", params={"keyword": keyword}, headers=headers)) == []
    assert [u["username"] for u in data(client.get("/api/user/search", params={"keyword": "ob"},
                                                   headers=headers))["items"]] == ["bob"]
    for keyword in ("²", "١٢", str(HUGE)):
        assert data(client.get("/api/user/search", params={"keyword": keyword}, headers=headers))["items"] == []
        data(client.get("/api/log/search", params={"keyword": keyword}, headers=headers))


def test_openapi_description_is_off_by_default(sqlite_storage, monkeypatch):
    from backend.config import reset_settings

    assert _client().get("/api/openapi.json").status_code == 404
    monkeypatch.setenv("OPENAPI_ENABLED", "true")
    reset_settings()
    try:
        spec = _client().get("/api/openapi.json").json()
        assert "/api/user/login" in spec["paths"]
    finally:
        monkeypatch.delenv("OPENAPI_ENABLED")
        reset_settings()


def test_an_unexpected_error_answers_in_the_envelope_without_internals(sqlite_storage, monkeypatch):
    from backend.services import users

    def boom(_user_id: int) -> str:
        raise RuntimeError("secret internal detail /srv/db")

    monkeypatch.setattr(users, "aff_code", boom)
    user = make_user("ann")
    response = _client().get("/api/user/aff", headers=auth(user))
    assert response.status_code == 500
    assert response.json() == {"success": False, "message": "internal error, please try again later"}
