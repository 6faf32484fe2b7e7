"""The hot relay paths are served ahead of FastAPI's stack, with the same replies: one request id
per response, the open CORS headers for cross-origin calls, and everything else still routed."""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest

from backend.main import create_app
from backend.relay import routes
from tests.conftest import LiveServer
from tests.relay.relay_seed import make_key

RID = re.compile(r"\d{23}[A-Za-z0-9]{8}")


@pytest.fixture
def gateway(sqlite_storage) -> Iterator[httpx.Client]:
    with LiveServer(create_app()) as server, httpx.Client(base_url=server.url, timeout=30) as client:
        yield client


@pytest.fixture
def key(sqlite_storage) -> str:
    return make_key()[2]


@pytest.mark.parametrize("path", sorted(routes.HOT_ROUTES))
def test_hot_paths_answer_with_one_request_id_and_open_cors(gateway: httpx.Client, key: str, path: str) -> None:
    resp = gateway.post(path, json={"model": "gpt-4o", "input": "x", "prompt": "x"},
                        headers={"Authorization": f"Bearer {key}", "Origin": "https://chat.example"})
    assert resp.status_code == 503  # authenticated, then no channel for the model
    assert resp.json()["error"]["code"] == "model_not_found"
    ids = resp.headers.get_list("x-oneapi-request-id")
    assert len(ids) == 1 and RID.fullmatch(ids[0])
    assert ids[0] in resp.json()["error"]["message"]
    assert resp.headers.get_list("access-control-allow-origin") == ["*"]
    assert resp.headers["access-control-expose-headers"] == "*"
    assert "access-control-allow-credentials" not in resp.headers


def test_same_origin_calls_get_no_cors_headers(gateway: httpx.Client) -> None:
    resp = gateway.post("/v1/chat/completions", json={"model": "m"})
    assert resp.status_code == 401
    assert "access-control-allow-origin" not in resp.headers
    assert RID.fullmatch(resp.headers["x-oneapi-request-id"])


def test_other_methods_and_paths_still_go_through_fastapi(gateway: httpx.Client, key: str) -> None:
    auth = {"Authorization": f"Bearer {key}"}
    resp = gateway.get("/v1/chat/completions", headers=auth)  # not POST: OpenAI's 404 from the router
    assert resp.status_code == 404 and "Invalid URL (GET /v1/chat/completions)" in resp.json()["error"]["message"]
    resp = gateway.post("/v1/chat/completions/extra", headers=auth)
    assert resp.status_code == 404
    assert gateway.get("/v1/models", headers=auth).json()["object"] == "list"
    preflight = gateway.options("/v1/chat/completions", headers={
        "Origin": "https://chat.example", "Access-Control-Request-Method": "POST"})
    assert preflight.status_code == 204 and preflight.headers["access-control-allow-origin"] == "*"


def test_without_own_cors_the_hot_path_leaves_cors_to_the_outer_layer(sqlite_storage, key: str) -> None:
    with LiveServer(create_app(cors=False)) as server, httpx.Client(base_url=server.url, timeout=30) as client:
        resp = client.post("/v1/chat/completions", json={"model": "gpt-4o"},
                           headers={"Authorization": f"Bearer {key}", "Origin": "https://chat.example"})
    assert resp.status_code == 503
    assert "access-control-allow-origin" not in resp.headers
    assert RID.fullmatch(resp.headers["x-oneapi-request-id"])
