"""Size limits on every route FastAPI serves (backend/request_limits.py), over real HTTP: /api bodies
bounded by MAX_API_BODY_KB while reading (Content-Length or chunked), other routes by
MAX_REQUEST_BODY_MB, headers by 64 KB; an anonymous 64 MB login leaves the server's memory flat;
an access token longer than any real one is refused without a query."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from fastapi.testclient import TestClient
from mgmt_helpers import auth, data, make_user, refused
from sqlalchemy import event

from backend.config import reset_settings
from backend.db import get_engine
from backend.http_limits import MAX_HEADER_BYTES
from backend.main import create_app
from tests.conftest import LiveServer
from tests.rss import peak_growth

MB = 1024 * 1024
PIECE = b"x" * 65536
# Under uvicorn's own 16 KB head limit the app would never see a large header; granian (what
# `newapi serve` and `make run` use) accepts ~400 KB, so the tests serve with as much.
GRANIAN_LIKE = {"h11_max_incomplete_event_size": 1 << 20}


def pieces(total: int) -> Iterator[bytes]:
    """`total` bytes in 64 KB pieces, the same object each time: the client holds 64 KB at most."""
    for _ in range(total // len(PIECE)):
        yield PIECE


@pytest.fixture
def gateway(sqlite_storage, monkeypatch: pytest.MonkeyPatch) -> Iterator[httpx.Client]:
    monkeypatch.setenv("MAX_REQUEST_BODY_MB", "2")
    reset_settings()
    with LiveServer(create_app(), **GRANIAN_LIKE) as server, httpx.Client(base_url=server.url, timeout=60) as client:
        yield client
    reset_settings()


def login(client: httpx.Client, content: object, **headers: str) -> httpx.Response:
    return client.post("/api/user/login", content=content, headers={"Content-Type": "application/json", **headers})


def test_api_body_over_the_limit_is_413_on_content_length_and_while_reading_chunks(gateway: httpx.Client) -> None:
    big = 2 * MB
    assert refused(login(gateway, pieces(big), **{"Content-Length": str(big)}), 413) == \
        "request body too large (limit 1024 KB)"
    assert refused(login(gateway, pieces(big)), 413) == "request body too large (limit 1024 KB)"  # chunked
    # at the limit is still read: the credentials are simply wrong
    body = b'{"username": "nobody", "password": "' + b"p" * (MB - 64) + b'"}'
    assert len(body) <= MB
    assert login(gateway, body).status_code != 413


def test_a_64_mb_anonymous_login_leaves_memory_flat(gateway: httpx.Client) -> None:
    login(gateway, b'{"username": "warm", "password": "up"}')  # first-request allocations
    statuses: list[int] = []

    def send_both() -> None:
        statuses.append(login(gateway, pieces(64 * MB)).status_code)  # chunked: counted while read
        statuses.append(login(gateway, pieces(64 * MB), **{"Content-Length": str(64 * MB)}).status_code)

    grew = peak_growth(send_both)
    assert statuses == [413, 413]
    assert grew < 10 * MB, f"resident memory rose {grew / MB:.1f} MB"


def test_max_api_body_kb_sets_the_api_limit(sqlite_storage, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MAX_API_BODY_KB", "4")
    reset_settings()
    user = make_user("writer")
    with LiveServer(create_app()) as server, httpx.Client(base_url=server.url, timeout=30) as client:
        name = {"name": "n", "unlimited_quota": True, "allow_ips": "1.2.3.4\n" * 100}  # ~0.8 KB
        assert data(client.post("/api/token/", json=name, headers=auth(user)))["name"] == "n"
        name["allow_ips"] = "1.2.3.4\n" * 700  # ~5.6 KB
        assert refused(client.post("/api/token/", json=name, headers=auth(user)), 413) == \
            "request body too large (limit 4 KB)"
    reset_settings()


def test_other_routes_are_bound_by_max_request_body_mb(gateway: httpx.Client) -> None:
    resp = gateway.post("/some/console/page", content=pieces(3 * MB), headers={"Content-Length": str(3 * MB)})
    assert refused(resp, 413) == "request body too large (limit 2 MB)"


def test_headers_over_64_kb_are_431(gateway: httpx.Client) -> None:
    resp = gateway.get("/api/status", headers={"X-Padding": "p" * (MAX_HEADER_BYTES + 1)})
    assert refused(resp, 431) == "request headers too large (limit 64 KB)"
    assert gateway.get("/api/status", headers={"X-Padding": "p" * 1000}).json()["success"]


def test_an_over_long_access_token_is_refused_without_a_query(sqlite_storage) -> None:
    user = make_user("reader")
    client = TestClient(create_app(with_lifespan=False))
    statements: list[str] = []
    event.listen(get_engine(), "before_cursor_execute", lambda *args: statements.append(args[2]))
    long = {"Authorization": "Bearer " + "t" * 129, "New-Api-User": str(user.id)}
    assert "not logged in" in refused(client.get("/api/token/", headers=long), 401)
    assert statements == []
    unknown = {"Authorization": "Bearer " + "t" * 128, "New-Api-User": str(user.id)}
    refused(client.get("/api/token/", headers=unknown), 401)
    assert statements  # a token of plausible length is looked up
    assert data(client.get("/api/token/", headers=auth(user)))["items"] == []
