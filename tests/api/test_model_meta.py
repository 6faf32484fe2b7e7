"""/api/models/* and /api/vendors/*: metadata CRUD, enrichment, missing models, and the sync from the
metadata catalogue (a local fake of it)."""

from __future__ import annotations

import pytest
from mgmt_helpers import app_client, auth, data, make_user, refused

from backend.config import reset_settings
from backend.models.enums import Role
from backend.services import options
from tests.fakes.json_site import JsonSite


def _admin_client():
    return app_client(), auth(make_user("adm", Role.ADMIN))


def _channel(c, h, name: str, models: str, group: str = "default", type_: int = 1) -> int:
    body = {"name": name, "type": type_, "key": "sk-x", "models": models, "group": group}
    return data(c.post("/api/channel/", json=body, headers=h))["ids"][0]


def test_vendor_crud_counts_and_duplicates(storage):
    c, h = _admin_client()
    v = data(c.post("/api/vendors/", json={"name": "OpenAI", "icon": "OpenAI", "description": "d"}, headers=h))
    assert v["id"] and v["status"] == 1
    assert "已存在" in refused(c.post("/api/vendors/", json={"name": "OpenAI"}, headers=h), 400)
    refused(c.post("/api/vendors/", json={"name": "  "}, headers=h), 400)
    other = data(c.post("/api/vendors/", json={"name": "Anthropic"}, headers=h))
    data(c.post("/api/models/", json={"model_name": "gpt-4o", "vendor_id": v["id"]}, headers=h))
    page = data(c.get("/api/vendors/", headers=h))
    assert page["total"] == 2 and {i["name"]: i["model_count"] for i in page["items"]} == {"OpenAI": 1, "Anthropic": 0}
    assert [i["name"] for i in data(c.get("/api/vendors/search?keyword=anth", headers=h))["items"]] == ["Anthropic"]
    assert "已存在" in refused(c.put("/api/vendors/", json={"id": other["id"], "name": "OpenAI"}, headers=h), 400)
    upd = data(c.put("/api/vendors/", json={"id": other["id"], "name": "Anthropic PBC", "status": 1}, headers=h))
    assert upd["name"] == "Anthropic PBC"
    assert data(c.get(f"/api/vendors/{other['id']}", headers=h))["name"] == "Anthropic PBC"
    data(c.delete(f"/api/vendors/{other['id']}", headers=h))
    refused(c.get(f"/api/vendors/{other['id']}", headers=h), 404)
    # a deleted vendor's name is free again
    assert data(c.post("/api/vendors/", json={"name": "Anthropic PBC"}, headers=h))["id"] != other["id"]


def test_model_crud_enrichment_and_missing(storage):
    c, h = _admin_client()
    _channel(c, h, "a", "gpt-4o,gpt-4o-mini,claude-3-5-sonnet-20241022", "default,vip")
    _channel(c, h, "b", "gpt-4o", type_=20)
    assert sorted(data(c.get("/api/models/missing", headers=h))) == [
        "claude-3-5-sonnet-20241022", "gpt-4o", "gpt-4o-mini"]
    exact = data(c.post("/api/models/", json={"model_name": "gpt-4o", "description": "omni", "tags": "chat"},
                        headers=h))
    assert exact["bound_channels"] == [{"name": "a", "type": 1}, {"name": "b", "type": 20}]
    assert exact["enable_groups"] == ["default", "vip"] and exact["quota_types"] == [0]
    rule = data(c.post("/api/models/", json={"model_name": "claude", "name_rule": 1}, headers=h))
    assert rule["matched_models"] == ["claude-3-5-sonnet-20241022"] and rule["matched_count"] == 1
    assert data(c.get("/api/models/missing", headers=h)) == ["gpt-4o-mini"]
    assert "已存在" in refused(c.post("/api/models/", json={"model_name": "gpt-4o"}, headers=h), 400)
    refused(c.post("/api/models/", json={"model_name": "x", "name_rule": 9}, headers=h), 400)
    refused(c.post("/api/models/", json={"model_name": "x", "endpoints": "{not json"}, headers=h), 400)
    listing = data(c.get("/api/models/?p=1&page_size=1", headers=h))
    assert listing["total"] == 2 and len(listing["items"]) == 1 and listing["vendor_counts"] == {"0": 2}
    assert [i["model_name"] for i in data(c.get("/api/models/search?keyword=omni", headers=h))["items"]] == ["gpt-4o"]
    # status_only changes the status and nothing else
    data(c.put("/api/models/?status_only=true", json={"id": exact["id"], "status": 0}, headers=h))
    got = data(c.get(f"/api/models/{exact['id']}", headers=h))
    assert got["status"] == 0 and got["description"] == "omni"
    assert [i["model_name"] for i in data(c.get("/api/models/?status=0", headers=h))["items"]] == ["gpt-4o"]
    # a full update writes every field (new-api's Update selects them all)
    got = data(c.put("/api/models/", json={"id": exact["id"], "model_name": "gpt-4o", "status": 1}, headers=h))
    assert got["description"] == "" and got["status"] == 1
    data(c.delete(f"/api/models/{rule['id']}", headers=h))
    refused(c.get(f"/api/models/{rule['id']}", headers=h), 404)
    assert "claude-3-5-sonnet-20241022" in data(c.get("/api/models/missing", headers=h))
    refused(c.put("/api/models/", json={"model_name": "nope"}, headers=h), 400)


CATALOGUE_MODELS = {"success": True, "data": [
    {"model_name": "gpt-4o", "description": "GPT-4o from upstream", "icon": "OpenAI", "tags": "chat,vision",
     "vendor_name": "OpenAI", "name_rule": 0, "status": 1},
    {"model_name": "gpt-4o-mini", "description": "small", "vendor_name": "OpenAI", "status": 1},
    {"model_name": "unused-model", "description": "no channel serves it", "vendor_name": "Nobody"},
]}
CATALOGUE_VENDORS = [{"name": "OpenAI", "description": "OpenAI vendor", "icon": "OpenAI", "status": 1}]


@pytest.fixture
def catalogue(storage, monkeypatch):
    options.update("fetch_setting.allow_private_ip", "true")  # the fake is on loopback
    options.update("fetch_setting.allowed_ports", "[]")
    with JsonSite({"/api/newapi/models.json": CATALOGUE_MODELS, "/api/newapi/vendors.json": CATALOGUE_VENDORS,
                   "/api/i18n/ja/newapi/models.json": {"data": []},
                   "/api/i18n/ja/newapi/vendors.json": {"data": []}}) as site:
        monkeypatch.setenv("SYNC_UPSTREAM_BASE", site.url + "/")
        reset_settings()
        yield site


def test_sync_upstream_preview_then_sync(catalogue):
    c, h = _admin_client()
    _channel(c, h, "a", "gpt-4o,gpt-4o-mini,local-only")
    mine = data(c.post("/api/models/", json={"model_name": "gpt-4o-mini", "description": "mine"}, headers=h))
    pv = data(c.get("/api/models/sync_upstream/preview", headers=h))
    assert pv["missing"] == ["gpt-4o"]
    assert pv["conflicts"][0]["model_name"] == "gpt-4o-mini"
    assert {f["field"] for f in pv["conflicts"][0]["fields"]} == {"description", "vendor"}
    assert pv["source"]["models_url"] == catalogue.url + "/api/newapi/models.json"
    res = data(c.post("/api/models/sync_upstream", json={"overwrite": [
        {"model_name": "gpt-4o-mini", "fields": ["description"]}]}, headers=h))
    assert res["created_models"] == 1 and res["created_list"] == ["gpt-4o"]
    assert res["created_vendors"] == 1 and res["updated_list"] == ["gpt-4o-mini"]
    assert res["skipped_models"] == ["local-only"]
    got = data(c.get("/api/models/search?keyword=GPT-4o from", headers=h))["items"][0]
    assert got["model_name"] == "gpt-4o" and got["tags"] == "chat,vision" and got["vendor_id"]
    assert data(c.get(f"/api/models/{mine['id']}", headers=h))["description"] == "small"
    vendor = data(c.get(f"/api/vendors/{got['vendor_id']}", headers=h))
    assert vendor["name"] == "OpenAI" and vendor["icon"] == "OpenAI"
    # a row marked "do not sync" is never overwritten
    data(c.put("/api/models/", json={**mine, "description": "keep", "sync_official": 0}, headers=h))
    data(c.post("/api/models/sync_upstream", json={"overwrite": [
        {"model_name": "gpt-4o-mini", "fields": ["description"]}]}, headers=h))
    assert data(c.get(f"/api/models/{mine['id']}", headers=h))["description"] == "keep"
    # a locale reads the catalogue's translated files
    data(c.get("/api/models/sync_upstream/preview?locale=ja", headers=h))
    assert "/api/i18n/ja/newapi/models.json" in catalogue.hits


def test_sync_upstream_failure_is_a_clear_502(storage, monkeypatch):
    c, h = _admin_client()
    with JsonSite({"/api/newapi/models.json": (500, {}), "/api/newapi/vendors.json": []}) as site:
        options.update("fetch_setting.allow_private_ip", "true")
        options.update("fetch_setting.allowed_ports", "[]")
        monkeypatch.setenv("SYNC_UPSTREAM_BASE", site.url)
        reset_settings()
        assert "status 500" in refused(c.get("/api/models/sync_upstream/preview", headers=h), 502)
        site.routes["/api/newapi/models.json"] = {"data": "nope"}
        assert "no data list" in refused(c.post("/api/models/sync_upstream", headers=h), 502)
    # the SSRF rules apply: loopback refused without allow_private_ip
    options.update("fetch_setting.allow_private_ip", "false")
    refused(c.get("/api/models/sync_upstream/preview", headers=h), 502)


def test_prefill_groups(storage):
    c, h = _admin_client()
    g = data(c.post("/api/prefill_group/", json={"name": "openai", "type": "model", "items": ["gpt-4o", "o3"],
                                                 "description": "d"}, headers=h))
    data(c.post("/api/prefill_group/", json={"name": "tags", "type": "tag", "items": ["fast"]}, headers=h))
    assert "已存在" in refused(c.post("/api/prefill_group/", json={"name": "openai", "type": "tag"}, headers=h), 400)
    refused(c.post("/api/prefill_group/", json={"name": "x", "type": "weird"}, headers=h), 400)
    refused(c.post("/api/prefill_group/", json={"name": "x", "type": "model", "items": [1]}, headers=h), 400)
    refused(c.post("/api/prefill_group/", json={"name": "", "type": "model"}, headers=h), 400)
    assert [x["name"] for x in data(c.get("/api/prefill_group/?type=model", headers=h))] == ["openai"]
    assert data(c.get("/api/prefill_group/", headers=h))[0]["items"] in (["gpt-4o", "o3"], ["fast"])
    upd = data(c.put("/api/prefill_group/", json={"id": g["id"], "name": "openai2", "type": "model",
                                                  "items": ["gpt-4.1"]}, headers=h))
    assert upd["items"] == ["gpt-4.1"] and upd["name"] == "openai2"
    data(c.delete(f"/api/prefill_group/{g['id']}", headers=h))
    assert [x["name"] for x in data(c.get("/api/prefill_group/", headers=h))] == ["tags"]
    refused(c.delete(f"/api/prefill_group/{g['id']}", headers=h), 404)
