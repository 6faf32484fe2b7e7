"""Key auth, body limits, unknown and unimplemented routes, over real HTTP.

A request that passes every check reaches routing; with no channel configured it ends in 503
"no available channel", which is how these tests tell "let through" from "refused".
"""

from __future__ import annotations

import gzip
import re
import time
from collections.abc import Iterator

import httpx
import pytest

from backend.config import reset_settings
from backend.db import session_scope
from backend.main import create_app
from backend.models import Token, User
from backend.models.enums import Role, TokenStatus, UserStatus
from tests.conftest import LiveServer
from tests.relay.relay_seed import make_key, make_token, make_user

CHAT = {"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}]}


@pytest.fixture
def gateway(sqlite_storage, monkeypatch: pytest.MonkeyPatch) -> Iterator[httpx.Client]:
    monkeypatch.setenv("MAX_REQUEST_BODY_MB", "1")
    reset_settings()
    with LiveServer(create_app()) as server, httpx.Client(base_url=server.url, timeout=30) as client:
        yield client
    reset_settings()


def post(client: httpx.Client, key: str | None, body: object = CHAT, **kw) -> httpx.Response:
    headers = kw.pop("headers", {})
    if key is not None:
        headers["Authorization"] = f"Bearer {key}"
    return client.post("/v1/chat/completions", json=body, headers=headers, **kw)


def assert_error(resp: httpx.Response, status: int, code: str | None = None) -> dict:
    assert resp.status_code == status, resp.text
    rid = resp.headers["X-Oneapi-Request-Id"]
    err = resp.json()["error"]
    assert set(err) == {"message", "type", "param", "code"}
    assert err["message"].endswith(f" (request id: {rid})")
    if code is not None:
        assert err["code"] == code
    return err


def assert_let_through(resp: httpx.Response) -> None:
    """Auth passed: routing found no channel for the model."""
    err = assert_error(resp, 503, "model_not_found")
    assert "no available channel" in err["message"]


def edit(model: type, row_id: int, **values: object) -> None:
    with session_scope() as s:
        row = s.get(model, row_id)
        for k, v in values.items():
            setattr(row, k, v)
        s.add(row)


def test_missing_and_unknown_keys_are_401(gateway: httpx.Client) -> None:
    err = assert_error(post(gateway, None), 401)
    assert err["type"] == "new_api_error"
    assert_error(post(gateway, "sk-" + "x" * 48), 401)
    assert_error(post(gateway, "sk-"), 401)


def test_bearer_and_x_api_key_and_bare_key_are_accepted(gateway: httpx.Client) -> None:
    _, token, key = make_key()
    assert_let_through(post(gateway, key))
    assert_let_through(post(gateway, token.key))  # without the sk- prefix
    assert_let_through(gateway.post("/v1/chat/completions", json=CHAT, headers={"x-api-key": key}))


@pytest.mark.parametrize(
    "change",
    [
        {"status": int(TokenStatus.DISABLED)},
        {"status": int(TokenStatus.EXPIRED)},
        {"status": int(TokenStatus.EXHAUSTED)},
        {"expired_time": 1_000_000},
        {"unlimited_quota": False, "remain_quota": 0},
    ],
    ids=["disabled", "expired-status", "exhausted-status", "expired-time", "no-quota-left"],
)
def test_unusable_tokens_are_401(gateway: httpx.Client, change: dict) -> None:
    _, token, key = make_key()
    edit(Token, token.id, **change)
    assert_error(post(gateway, key), 401, "invalid_api_key")


@pytest.mark.parametrize(
    ("change", "status"),
    [({"expired_time": 1_000_000}, TokenStatus.EXPIRED), ({"unlimited_quota": False, "remain_quota": 0}, TokenStatus.EXHAUSTED)],
    ids=["expired", "exhausted"],
)
def test_expired_or_exhausted_token_gets_its_status_written_back(gateway: httpx.Client, change: dict, status: int) -> None:
    from tests.relay.relay_seed import token_row, wait_until

    _, token, key = make_key()
    edit(Token, token.id, **change)
    assert_error(post(gateway, key), 401, "invalid_api_key")
    wait_until(lambda: token_row(token.id).status == status, "the status write-back")


def test_future_expiry_and_remaining_quota_are_fine(gateway: httpx.Client) -> None:
    _, _, key = make_key(expired_time=int(time.time()) + 3600, unlimited_quota=False, remain_quota=100_000)
    assert_let_through(post(gateway, key))


def test_disabled_user_is_403(gateway: httpx.Client) -> None:
    user, _, key = make_key()
    edit(User, user.id, status=int(UserStatus.DISABLED))
    assert_error(post(gateway, key), 403, "user_disabled")


@pytest.mark.parametrize(("allow", "ok"), [("127.0.0.1", True), ("127.0.0.0/8", True), ("10.0.0.0/8\n192.168.1.1", False),
                                           ("::1/128", False), ("not-an-ip", False)])
def test_allow_ips_exact_and_cidr(gateway: httpx.Client, allow: str, ok: bool) -> None:
    _, _, key = make_key(allow_ips=allow)
    resp = post(gateway, key)
    if ok:
        assert_let_through(resp)
    else:
        assert "127.0.0.1" in assert_error(resp, 403, "ip_not_allowed")["message"]


def test_model_limits(gateway: httpx.Client) -> None:
    _, _, key = make_key(model_limits_enabled=True, model_limits="gpt-4o,gpt-4o-mini")
    assert_let_through(post(gateway, key))
    err = assert_error(post(gateway, key, {**CHAT, "model": "gpt-4"}), 403, "model_not_allowed")
    assert "gpt-4" in err["message"]


def test_token_group_must_be_usable(gateway: httpx.Client) -> None:
    user = make_user()  # group "default"

    def key_in(group: str) -> str:
        return f"sk-{make_token(user, group=group).key}"

    assert_error(post(gateway, key_in("svip")), 403, "group_not_allowed")  # priced, not offered to default
    assert_error(post(gateway, key_in("nosuchgroup")), 403, "group_not_allowed")
    err = assert_error(post(gateway, key_in("vip")), 503)  # offered by default: routing now uses vip
    assert "group vip" in err["message"]


def test_channel_pinning_is_admin_only(gateway: httpx.Client) -> None:
    _, _, key = make_key()
    assert_error(post(gateway, f"{key}-1"), 403, "channel_pin_forbidden")
    _, _, admin_key = make_key(role=Role.ADMIN)
    assert_error(post(gateway, f"{admin_key}-999"), 403, "channel_unavailable")
    assert_error(post(gateway, f"{admin_key}-abc"), 403, "channel_pin_invalid")


def test_malformed_json_and_missing_model_are_400(gateway: httpx.Client) -> None:
    _, _, key = make_key()
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    assert_error(gateway.post("/v1/chat/completions", content=b'{"model": "gpt-4o",', headers=headers), 400,
                 "invalid_text_request")
    assert_error(gateway.post("/v1/chat/completions", content=b"[]", headers=headers), 400)
    assert_error(post(gateway, key, {"messages": []}), 400)
    assert_error(post(gateway, key, {"model": 42, "messages": []}), 400)


def test_body_over_limit_is_413_plain_chunked_and_gzip(gateway: httpx.Client) -> None:
    _, _, key = make_key()
    big = b'{"model":"gpt-4o","messages":[{"role":"user","content":"' + b"a" * (1024 * 1024 + 10) + b'"}]}'
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    assert_error(gateway.post("/v1/chat/completions", content=big, headers=headers), 413, "request_body_too_large")

    def chunks() -> Iterator[bytes]:  # no Content-Length: the limit must hold while reading
        for i in range(0, len(big), 65536):
            yield big[i : i + 65536]

    assert_error(gateway.post("/v1/chat/completions", content=chunks(), headers=headers), 413)
    packed = gzip.compress(big)
    assert len(packed) < 1024 * 1024
    assert_error(gateway.post("/v1/chat/completions", content=packed,
                              headers={**headers, "Content-Encoding": "gzip"}), 413)
    small = gzip.compress(b'{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}]}')
    assert_let_through(gateway.post("/v1/chat/completions", content=small,
                                    headers={**headers, "Content-Encoding": "gzip"}))


def test_unknown_routes_are_openai_404(gateway: httpx.Client) -> None:
    resp = gateway.get("/v1/nothing/here")
    err = assert_error(resp, 404)
    assert err["type"] == "invalid_request_error"
    assert err["message"].startswith("Invalid URL (GET /v1/nothing/here)")
    err = assert_error(gateway.put("/v1/chat/completions"), 404)
    assert err["message"].startswith("Invalid URL (PUT /v1/chat/completions)")


def test_not_implemented_routes_are_501_after_auth(gateway: httpx.Client) -> None:
    _, _, key = make_key()
    auth = {"Authorization": f"Bearer {key}"}
    assert_error(gateway.get("/v1/files"), 401)
    for method, path in [("GET", "/v1/files"), ("POST", "/v1/fine-tunes"),
                         ("DELETE", "/v1/models/gpt-4o"), ("GET", "/v1/files/file-1")]:
        assert_error(gateway.request(method, path, headers=auth), 501, "api_not_implemented")


def test_every_response_has_a_request_id(gateway: httpx.Client) -> None:
    ids = set()
    for resp in (gateway.get("/v1/models"), gateway.get("/v1/x"), gateway.get("/api/status")):
        rid = resp.headers.get("X-Oneapi-Request-Id", "")
        assert re.fullmatch(r"\d{23}[A-Za-z0-9]{8}", rid), rid
        ids.add(rid)
    assert len(ids) == 3
