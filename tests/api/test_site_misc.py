"""Site routes: /api/status/test, /api/models, the legal pages, /api/ratio_config, /api/uptime/status."""

from __future__ import annotations

import pytest
from mgmt_helpers import app_client, auth, data, make_user, refused

from backend.models.enums import Role
from backend.services import options
from tests.fakes.json_site import JsonSite


def test_status_test_pings_the_database_for_admins(storage):
    c = app_client()
    r = c.get("/api/status/test", headers=auth(make_user("adm", Role.ADMIN)))
    assert r.status_code == 200
    assert r.json() == {"success": True, "message": "Server is running"}
    refused(c.get("/api/status/test", headers=auth(make_user("pleb"))), 403)
    refused(c.get("/api/status/test"), 401)


def test_status_test_says_503_when_the_database_is_gone(sqlite_storage, monkeypatch):
    from backend.api import misc

    def broken() -> None:
        raise OSError("connection refused")

    monkeypatch.setattr(misc, "_ping", broken)
    msg = refused(app_client().get("/api/status/test", headers=auth(make_user("adm", Role.ADMIN))), 503)
    assert "connection refused" not in msg


def test_models_by_channel_type(sqlite_storage):
    c = app_client()
    got = data(c.get("/api/models", headers=auth(make_user("u"))))
    assert "gpt-4o" in got["1"] and not any(m.startswith("claude") for m in got["1"])
    assert got["14"] and all(m.startswith("claude") for m in got["14"])
    assert got["24"] and all(m.startswith(("gemini", "gemma", "text-embedding-004", "imagen")) for m in got["24"])
    assert got["2"] == []  # Midjourney: no chat models
    refused(c.get("/api/models"), 401)


def test_legal_pages_are_public_and_follow_the_options(sqlite_storage):
    c = app_client()
    assert data(c.get("/api/user-agreement")) == ""
    assert data(c.get("/api/status"))["user_agreement_enabled"] is False
    options.update("legal.user_agreement", "# Terms\nBe nice.")
    options.update("legal.privacy_policy", "We keep logs.")
    assert data(c.get("/api/user-agreement")) == "# Terms\nBe nice."
    assert data(c.get("/api/privacy-policy")) == "We keep logs."
    status = data(c.get("/api/status"))
    assert status["user_agreement_enabled"] is True and status["privacy_policy_enabled"] is True


def test_ratio_config_only_when_exposed(sqlite_storage):
    c = app_client()
    refused(c.get("/api/ratio_config"), 403)
    options.update("ExposeRatioEnabled", "true")
    options.update("ModelRatio", '{"my-model": 3}')
    got = data(c.get("/api/ratio_config"))
    assert set(got) == {"model_ratio", "completion_ratio", "cache_ratio", "create_cache_ratio", "model_price"}
    assert got["model_ratio"]["my-model"] == 3
    assert got["model_ratio"]["gpt-4o"] > 0  # the built-in defaults are part of it


KUMA_STATUS = {"publicGroupList": [
    {"id": 1, "name": "APIs", "monitorList": [{"id": 7, "name": "chat"}, {"id": 8, "name": "embeddings"}]},
    {"id": 2, "name": "Empty", "monitorList": []},
]}
KUMA_BEATS = {"heartbeatList": {"7": [{"status": 1}], "8": [{"status": 0}]}, "uptimeList": {"7_24": 0.998}}


@pytest.fixture
def kuma(sqlite_storage):
    options.update("fetch_setting.allow_private_ip", "true")  # the fake is on loopback
    options.update("fetch_setting.allowed_ports", "[]")
    with JsonSite({"/api/status-page/main": KUMA_STATUS, "/api/status-page/heartbeat/main": KUMA_BEATS}) as site:
        yield site


def test_uptime_status_proxies_kuma(kuma):
    c = app_client()
    assert data(c.get("/api/uptime/status")) == []
    groups = [{"categoryName": "Core", "url": kuma.url + "/", "slug": "main"},
              {"categoryName": "Gone", "url": kuma.url, "slug": "missing"},
              {"categoryName": "Blank", "url": "", "slug": ""}]
    options.update("console_setting.uptime_kuma_groups", __import__("json").dumps(groups))
    got = data(c.get("/api/uptime/status"))
    assert got == [
        {"categoryName": "Core", "monitors": [
            {"name": "chat", "uptime": 0.998, "status": 1, "group": "APIs"},
            {"name": "embeddings", "uptime": 0, "status": 0, "group": "APIs"}]},
        {"categoryName": "Gone", "monitors": []},
        {"categoryName": "Blank", "monitors": []},
    ]
    assert "/api/status-page/heartbeat/main" in kuma.hits


def test_uptime_status_obeys_the_ssrf_rules(sqlite_storage):
    with JsonSite({"/api/status-page/main": KUMA_STATUS, "/api/status-page/heartbeat/main": KUMA_BEATS}) as site:
        options.update("console_setting.uptime_kuma_groups",
                       f'[{{"categoryName":"Core","url":"{site.url}","slug":"main"}}]')
        got = data(app_client().get("/api/uptime/status"))
        assert got == [{"categoryName": "Core", "monitors": []}]
        assert site.hits == []  # loopback is private: never reached


def test_uptime_groups_option_is_checked_when_saved(sqlite_storage):
    root = make_user("root", Role.ROOT)
    c = app_client()
    msg = refused(c.put("/api/option/", json={"key": "console_setting.uptime_kuma_groups", "value": "[1]"},
                        headers=auth(root)), 400)
    assert "array of objects" in msg
    msg = refused(c.put("/api/option/", json={"key": "console_setting.uptime_kuma_groups",
                                              "value": '[{"url":"file:///etc/passwd","slug":"x"}]'},
                        headers=auth(root)), 400)
    assert "http(s)" in msg
