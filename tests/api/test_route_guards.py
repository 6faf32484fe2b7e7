"""Every management route refuses callers below its role (and anonymous callers with 401)."""

import pytest
from mgmt_helpers import app_client, auth, make_user, refused

from backend.models.enums import Role

USER_ROUTES = [
    ("GET", "/api/user/self"), ("PUT", "/api/user/self"), ("DELETE", "/api/user/self"),
    ("GET", "/api/user/token"), ("GET", "/api/user/aff"), ("GET", "/api/user/groups"),
    ("GET", "/api/user/self/groups"), ("GET", "/api/user/models"), ("POST", "/api/user/topup"),
    ("PUT", "/api/user/setting"), ("POST", "/api/user/aff_transfer"),
    ("GET", "/api/token/"), ("GET", "/api/token/search"), ("GET", "/api/token/1"), ("POST", "/api/token/1/key"),
    ("POST", "/api/token/"), ("PUT", "/api/token/"), ("DELETE", "/api/token/1"), ("POST", "/api/token/batch"),
    ("POST", "/api/token/batch/keys"),
    ("GET", "/api/log/self"), ("GET", "/api/log/self/stat"), ("GET", "/api/log/self/search"),
    ("GET", "/api/data/self"), ("GET", "/api/models"),
    ("POST", "/api/user/waffo/pay"), ("POST", "/api/user/waffo/amount"),
]
ADMIN_ROUTES = [
    ("GET", "/api/user/"), ("GET", "/api/user/search"), ("GET", "/api/user/1"), ("POST", "/api/user/"),
    ("PUT", "/api/user/"), ("DELETE", "/api/user/1"), ("POST", "/api/user/manage"),
    ("GET", "/api/redemption/"), ("GET", "/api/redemption/search"), ("GET", "/api/redemption/1"),
    ("POST", "/api/redemption/"), ("PUT", "/api/redemption/"), ("DELETE", "/api/redemption/1"),
    ("DELETE", "/api/redemption/invalid"),
    ("GET", "/api/log/"), ("GET", "/api/log/stat"), ("GET", "/api/log/search"), ("DELETE", "/api/log/"),
    ("GET", "/api/data/"), ("GET", "/api/group/"), ("GET", "/api/status/test"),
    ("GET", "/api/models/"), ("GET", "/api/models/search"), ("GET", "/api/models/1"), ("POST", "/api/models/"),
    ("PUT", "/api/models/"), ("DELETE", "/api/models/1"), ("GET", "/api/models/missing"),
    ("GET", "/api/models/sync_upstream/preview"), ("POST", "/api/models/sync_upstream"),
    ("GET", "/api/vendors/"), ("GET", "/api/vendors/search"), ("GET", "/api/vendors/1"), ("POST", "/api/vendors/"),
    ("PUT", "/api/vendors/"), ("DELETE", "/api/vendors/1"),
    ("GET", "/api/prefill_group/"), ("POST", "/api/prefill_group/"), ("PUT", "/api/prefill_group/"),
    ("DELETE", "/api/prefill_group/1"), ("POST", "/api/channel/copy/1"), ("GET", "/api/channel/tag/models"),
    ("POST", "/api/channel/upstream_updates/detect"), ("POST", "/api/channel/upstream_updates/detect_all"),
    ("POST", "/api/channel/upstream_updates/apply"), ("POST", "/api/channel/upstream_updates/apply_all"),
    ("POST", "/api/channel/ollama/pull"), ("POST", "/api/channel/ollama/pull/stream"),
    ("DELETE", "/api/channel/ollama/delete"), ("GET", "/api/channel/ollama/version/1"),
    ("POST", "/api/channel/codex/oauth/start"), ("POST", "/api/channel/codex/oauth/complete"),
    ("POST", "/api/channel/1/codex/oauth/start"), ("POST", "/api/channel/1/codex/oauth/complete"),
    ("POST", "/api/channel/1/codex/refresh"), ("GET", "/api/channel/1/codex/usage"),
]
ROOT_ROUTES = [
    ("GET", "/api/option/"), ("PUT", "/api/option/"),
    ("GET", "/api/ratio_sync/channels"), ("POST", "/api/ratio_sync/fetch"),
    ("POST", "/api/option/rest_model_ratio"), ("POST", "/api/option/migrate_console_setting"),
    ("GET", "/api/option/payment_compliance"), ("POST", "/api/option/payment_compliance"),
    ("GET", "/api/performance/stats"), ("POST", "/api/performance/gc"), ("POST", "/api/performance/reset_stats"),
    ("DELETE", "/api/performance/disk_cache"), ("GET", "/api/performance/logs"), ("DELETE", "/api/performance/logs"),
]
BODY = {"id": 1, "key": "x", "value": "x", "action": "disable", "ids": [1], "quota": 1, "name": "n",
        "username": "u", "password": "p" * 8}


def _call(client, method, path, headers=None):
    return client.request(method, path, headers=headers or {}, json=None if method in ("GET", "DELETE") else BODY)


@pytest.mark.parametrize(("method", "path"), USER_ROUTES + ADMIN_ROUTES + ROOT_ROUTES)
def test_anonymous_gets_401(sqlite_storage, method, path):
    refused(_call(app_client(), method, path), 401)


@pytest.mark.parametrize(("method", "path"), ADMIN_ROUTES + ROOT_ROUTES)
def test_common_user_gets_403(sqlite_storage, method, path):
    refused(_call(app_client(), method, path, auth(make_user("pleb"))), 403)


@pytest.mark.parametrize(("method", "path"), ROOT_ROUTES)
def test_admin_gets_403_on_root_routes(sqlite_storage, method, path):
    refused(_call(app_client(), method, path, auth(make_user("adm", Role.ADMIN))), 403)


@pytest.mark.parametrize(("method", "path"), USER_ROUTES[:3])
def test_header_for_another_user_is_refused(sqlite_storage, method, path):
    a, b = make_user("a"), make_user("b")
    headers = {**auth(a), "New-Api-User": str(b.id)}
    refused(_call(app_client(), method, path, headers), 401)


def test_unknown_api_route_answers_in_the_envelope(sqlite_storage):
    from fastapi.testclient import TestClient

    from backend.main import create_app

    client = TestClient(create_app(with_lifespan=False))
    for method in ("GET", "POST", "DELETE"):
        r = client.request(method, "/api/no/such/route")
        assert r.status_code == 404
        assert r.json() == {"success": False, "message": "no such API route: /api/no/such/route"}
