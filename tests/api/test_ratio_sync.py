"""/api/ratio_sync/channels and /api/ratio_sync/fetch against fake new-api sites on loopback."""

from __future__ import annotations

import pytest
from mgmt_helpers import app_client, auth, data, make_user, refused

from backend.db import session_scope
from backend.models import Channel
from backend.models.enums import Role
from backend.services import options
from tests.fakes.json_site import JsonSite

RATIO_CONFIG = {"success": True, "data": {
    "model_ratio": {"gpt-4o": 9.0, "only-there": 2.0, "tiered": 5.0},
    "completion_ratio": {"gpt-4o": 4.0},
    "model_price": {"per-call": 0.05},
    "billing_mode": {"tiered": "tiered_expr"},
}}
PRICING = {"success": True, "data": [
    {"model_name": "gpt-4o", "quota_type": 0, "model_ratio": 9.0, "completion_ratio": 4.0},
    {"model_name": "placeholder", "quota_type": 0, "model_ratio": 37.5, "completion_ratio": 1},
    {"model_name": "per-call", "quota_type": 1, "model_price": 0.05},
]}


def _channel(name: str, base_url: str, type_: int = 1, key: str = "sk-x") -> int:
    with session_scope() as s:
        c = Channel(name=name, type=type_, key=key, base_url=base_url, models="m", group="default")
        s.add(c)
        s.flush()
        return c.id


@pytest.fixture
def loopback_allowed(storage):
    options.update("fetch_setting.allow_private_ip", "true")  # the fakes are on loopback
    options.update("fetch_setting.allowed_ports", "[]")
    options.update("ModelRatio", '{"gpt-4o": 1.25, "mine": 3}')
    options.update("CompletionRatio", '{"gpt-4o": 4}')
    return storage


def test_syncable_channels_lists_channels_and_the_presets(storage):
    own = _channel("own", "https://example.com/")
    typed = _channel("typed", "")  # OpenAI's default base URL
    got = data(app_client().get("/api/ratio_sync/channels", headers=auth(make_user("root", Role.ROOT))))
    by_id = {row["id"]: row for row in got}
    assert by_id[own] == {"id": own, "name": "own", "base_url": "https://example.com/", "status": 1, "type": 1}
    assert by_id[typed]["base_url"] == "https://api.openai.com"
    assert [row["id"] for row in got[-2:]] == [-100, -101]


def test_fetch_compares_a_ratio_config_site(loopback_allowed):
    h = auth(make_user("root", Role.ROOT))
    with JsonSite({"/api/ratio_config": RATIO_CONFIG}) as site:
        body = {"upstreams": [{"name": "peer", "base_url": site.url + "/", "endpoint": "/api/ratio_config"}]}
        r = app_client().post("/api/ratio_sync/fetch", json=body, headers=h)
    got = data(r)
    assert got["test_results"] == [{"name": "peer", "status": "success"}]
    diffs = got["differences"]
    assert diffs["gpt-4o"]["model_ratio"] == {"current": 1.25, "upstreams": {"peer": 9.0}, "confidence": {"peer": True}}
    assert "completion_ratio" not in diffs["gpt-4o"]  # equal on both sides
    assert diffs["only-there"]["model_ratio"]["current"] is None
    assert diffs["per-call"]["model_price"]["upstreams"] == {"peer": 0.05}
    assert "tiered" not in diffs  # billed by an expression there: its numbers are not its price
    assert "mine" not in diffs  # the peer has no value: nothing to pull
    assert got["prices"]["gpt-4o"]["upstreams"]["peer"] == {"model_ratio": 9.0, "completion_ratio": 4.0}
    assert got["prices"]["gpt-4o"]["current"]["model_ratio"] == 1.25


def test_fetch_reads_a_pricing_list_from_a_channel_and_distrusts_placeholders(loopback_allowed):
    h = auth(make_user("root", Role.ROOT))
    with JsonSite({"/api/pricing": PRICING}) as site:
        cid = _channel("peer", site.url)
        got = data(app_client().post("/api/ratio_sync/fetch", json={"channel_ids": [cid]}, headers=h))
        assert site.hits == ["/api/pricing"]
    name = f"peer({cid})"
    assert got["test_results"] == [{"name": name, "status": "success"}]
    assert got["differences"]["gpt-4o"]["model_ratio"]["upstreams"] == {name: 9.0}
    assert got["differences"]["placeholder"]["model_ratio"]["confidence"] == {name: False}
    assert got["differences"]["gpt-4o"]["model_ratio"]["confidence"] == {name: True}


def test_a_failing_source_is_reported_not_fatal(loopback_allowed):
    h = auth(make_user("root", Role.ROOT))
    with JsonSite({"/api/ratio_config": RATIO_CONFIG, "/bad": (500, {"x": 1}),
                   "/off": {"success": False, "message": "倍率配置接口未启用"}}) as site:
        body = {"upstreams": [{"name": "good", "base_url": site.url, "endpoint": "/api/ratio_config"},
                              {"name": "bad", "base_url": site.url, "endpoint": "bad"},
                              {"name": "off", "base_url": site.url, "endpoint": site.url + "/off"}]}
        got = data(app_client().post("/api/ratio_sync/fetch", json=body, headers=h))
    results = {row["name"]: row for row in got["test_results"]}
    assert results["good"]["status"] == "success"
    assert results["bad"] == {"name": "bad", "status": "error", "error": "500"}
    assert results["off"] == {"name": "off", "status": "error", "error": "倍率配置接口未启用"}
    assert "gpt-4o" in got["differences"]


def test_openrouter_source_uses_the_channel_key(loopback_allowed):
    models = {"data": [{"id": "or/model", "pricing": {"prompt": "0.000002", "completion": "0.000008",
                                                       "input_cache_read": "0.0000005"}}]}
    h = auth(make_user("root", Role.ROOT))
    with JsonSite({"/v1/models": models}) as site:
        body = {"upstreams": [{"id": 7, "name": "or", "base_url": site.url, "endpoint": "openrouter"}]}
        cid = _channel("or", site.url, 20, "sk-or\nsk-second")
        body["upstreams"][0]["id"] = cid
        got = data(app_client().post("/api/ratio_sync/fetch", json=body, headers=h))
        no_key = data(app_client().post("/api/ratio_sync/fetch", headers=h, json={
            "upstreams": [{"name": "anon", "base_url": site.url, "endpoint": "openrouter"}]}))
    entry = got["differences"]["or/model"]
    assert entry["model_ratio"]["upstreams"] == {f"or({cid})": 1.0}
    assert entry["completion_ratio"]["upstreams"] == {f"or({cid})": 4.0}
    assert entry["cache_ratio"]["upstreams"] == {f"or({cid})": 0.25}
    assert no_key["test_results"][0]["error"] == "OpenRouter requires a valid channel with API key"


def test_fetch_obeys_the_ssrf_rules(storage):
    h = auth(make_user("root", Role.ROOT))
    with JsonSite({"/api/ratio_config": RATIO_CONFIG}) as site:
        msg = refused(app_client().post("/api/ratio_sync/fetch", headers=h, json={
            "upstreams": [{"name": "peer", "base_url": site.url, "endpoint": "/api/ratio_config"}]}), 400)
        cid = _channel("peer", site.url)
        via_channel = data(app_client().post("/api/ratio_sync/fetch", headers=h, json={"channel_ids": [cid]}))
        assert site.hits == []
    assert "failed validation" in msg
    assert via_channel["test_results"][0]["status"] == "error"


def test_fetch_without_a_usable_source(sqlite_storage):
    h = auth(make_user("root", Role.ROOT))
    r = app_client().post("/api/ratio_sync/fetch", headers=h, json={"upstreams": [{"name": "x", "base_url": "ftp://x"}]})
    assert r.status_code == 200 and r.json() == {"success": False, "message": "无有效上游渠道"}
    refused(app_client().post("/api/ratio_sync/fetch", headers=h, json={"timeout": "soon"}), 400)
