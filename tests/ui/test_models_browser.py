"""The Models and Vendors pages in a real browser (served like `make run`, fresh SQLite): vendors
added and edited, model metadata added with its vendor, the models channels serve without
metadata, and the sync from a fake catalogue (preview, then creation), checked in the database."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from tests.fakes.json_site import JsonSite
from tests.support import free_port
from tests.ui.harness import ROOT_NAME, ROOT_PASSWORD, WAIT, Api, ConsoleServer, Page

CATALOGUE_PORT = free_port()
CONSOLE_ENV = {"SYNC_UPSTREAM_BASE": f"http://127.0.0.1:{CATALOGUE_PORT}"}
MODELS = {"success": True, "data": [
    {"model_name": "cat-model", "description": "from the catalogue", "vendor_name": "CatCo", "status": 1}]}
VENDORS = [{"name": "CatCo", "description": "catalogue vendor", "status": 1}]


@pytest.fixture(scope="module")
def catalogue(server: ConsoleServer) -> Iterator[JsonSite]:
    routes = {"/api/i18n/en/newapi/models.json": MODELS, "/api/i18n/en/newapi/vendors.json": VENDORS}
    with JsonSite(routes, port=CATALOGUE_PORT) as site:
        api = Api(server.url).login(ROOT_NAME, ROOT_PASSWORD)
        api.call("PUT", "/api/option/", {"key": "fetch_setting.allow_private_ip", "value": "true"})
        api.call("PUT", "/api/option/", {"key": "fetch_setting.allowed_ports", "value": "[]"})
        api.call("POST", "/api/channel/", {"name": "ch", "type": 1, "key": "k", "models": "served-only,cat-model",
                                           "group": "default"})
        yield site


def _row_text(page: Page, table: str, needle: str) -> str:
    found: list[str] = []

    def check(d) -> bool:
        found[:] = [r.text for r in d.find_elements(By.CSS_SELECTOR, f"#{table} tbody tr") if needle in r.text]
        return bool(found)

    WebDriverWait(page.d, WAIT).until(check, f"no row of #{table} shows {needle}")
    return found[0]


def test_vendors_then_models(server: ConsoleServer, page: Page, catalogue: JsonSite) -> None:
    page.login()
    page.click("nav-vendors")
    page.wait_path("/vendors")
    page.click("v-add")
    page.fill("v-f-name", "Acme")
    page.fill("v-f-description", "rockets")
    page.click("v-save")
    assert "rockets" in _row_text(page, "vendors-table", "Acme")
    (vid,) = server.query("SELECT id FROM vendors WHERE name = 'Acme' AND deleted_at IS NULL")[0]
    page.click(f"v-edit-{vid}")
    page.wait_value("v-f-name", "Acme")
    page.fill("v-f-description", "better rockets")
    page.click("v-save")
    assert "better rockets" in _row_text(page, "vendors-table", "Acme")

    page.click("nav-models")
    page.wait_path("/models")
    page.click("m-missing")
    WebDriverWait(page.d, WAIT).until(lambda d: "served-only" in page.el("m-missing-list").text)
    page.d.find_elements(By.CSS_SELECTOR, ".m-missing-add")[1].click()  # served-only (sorted after cat-model)
    page.wait_value("m-f-model_name", "served-only")
    page.fill("m-f-description", "a local model")
    page.fill("m-f-tags", "chat, local")
    page.click("m-f-vendor")
    WebDriverWait(page.d, WAIT).until(lambda d: [o for o in d.find_elements(By.CSS_SELECTOR, "[role=option]")
                                                 if o.text == "Acme"])[0].click()
    page.click("m-save")
    row = _row_text(page, "models-table", "served-only")
    assert "Acme" in row and "a local model" in row and "ch" in row
    assert server.query("SELECT tags, vendor_id, status FROM models WHERE model_name = 'served-only'") == [
        ("chat,local", vid, 1)]
    page.shot("models")

    page.click("m-sync")
    page.wait_text("m-sync-count", "1")
    assert "cat-model" in page.el("m-sync-missing").text and "served-only" not in page.el("m-sync-missing").text
    page.click("m-sync-apply")
    assert "from the catalogue" in _row_text(page, "models-table", "cat-model")
    assert server.query("SELECT count(*) FROM vendors WHERE name = 'CatCo'") == [(1,)]
