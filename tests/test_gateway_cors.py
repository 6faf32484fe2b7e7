"""The standalone gateway (`newapi serve`) applies the relay CORS rules itself."""

from fastapi.testclient import TestClient

from backend.main import create_app


def test_relay_preflight_allows_any_origin_without_credentials(sqlite_storage):
    client = TestClient(create_app(with_lifespan=False))
    r = client.options("/v1/chat/completions", headers={
        "Origin": "https://chat.example", "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization, content-type"})
    assert r.status_code == 204
    assert r.headers["access-control-allow-origin"] == "*"
    assert "access-control-allow-credentials" not in r.headers
    assert "authorization" in r.headers["access-control-allow-headers"]


def test_relay_reply_carries_wildcard_origin(sqlite_storage):
    client = TestClient(create_app(with_lifespan=False))
    r = client.get("/v1/models", headers={"Origin": "https://chat.example"})
    assert r.headers["access-control-allow-origin"] == "*"
    assert "access-control-allow-credentials" not in r.headers


def test_console_api_gets_no_cors_headers(sqlite_storage):
    client = TestClient(create_app(with_lifespan=False))
    r = client.options("/api/user/self", headers={
        "Origin": "http://evil.example", "Access-Control-Request-Method": "GET"})
    assert "access-control-allow-origin" not in r.headers
    r = client.get("/api/status", headers={"Origin": "http://evil.example"})
    assert "access-control-allow-origin" not in r.headers
