"""The ratio sync page in a real browser (served like `make run`, fresh SQLite): a channel whose
site answers `/api/ratio_config` (a fake), the differences against our tables, and the ticked
values written to the ratio options; a source that fails is shown as failed."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from tests.fakes.json_site import JsonSite
from tests.support import wait_until
from tests.ui.harness import ROOT_NAME, ROOT_PASSWORD, WAIT, Api, ConsoleServer, Page

PEER = {"success": True, "data": {"model_ratio": {"peer-model": 3.5, "other-model": 7.0},
                                  "model_price": {"per-call": 0.04}}}


@pytest.fixture(scope="module")
def peer(server: ConsoleServer) -> Iterator[JsonSite]:
    with JsonSite({"/api/ratio_config": PEER}) as site:
        api = Api(server.url).login(ROOT_NAME, ROOT_PASSWORD)
        api.call("PUT", "/api/option/", {"key": "fetch_setting.allow_private_ip", "value": "true"})
        api.call("PUT", "/api/option/", {"key": "fetch_setting.allowed_ports", "value": "[]"})
        for name, base in (("peer", site.url), ("broken", site.url + "/nowhere")):
            api.call("POST", "/api/channel/", {"mode": "single", "channel": {
                "name": name, "type": 1, "key": "k", "base_url": base, "models": "gpt-4o"}})
        yield site


def test_fetch_compare_and_write(server: ConsoleServer, page: Page, peer: JsonSite) -> None:
    ids = dict(server.query("SELECT name, id FROM channels"))
    page.login()
    page.click("nav-ratio_sync")
    page.wait_path("/ratio_sync")
    page.click(f"rs-src-{ids['peer']}")
    page.click(f"rs-src-{ids['broken']}")
    page.click("rs-fetch")
    page.wait_text("rs-results", f"peer({ids['peer']})")
    badges = [b.text for b in page.d.find_elements(By.CSS_SELECTOR, ".rs-result")]
    assert any(b.startswith(f"broken({ids['broken']}):") for b in badges), badges
    rows: list[str] = []

    def three(d) -> bool:
        rows[:] = [r.text for r in d.find_elements(By.CSS_SELECTOR, "#rs-table tbody tr")]
        return len(rows) == 3

    WebDriverWait(page.d, WAIT).until(three, "the three differences never showed")
    assert any("peer-model" in r and "3.5" in r for r in rows)
    boxes = page.d.find_elements(By.CSS_SELECTOR, "#rs-table tbody .rs-tick")
    for box, text in zip(boxes, rows, strict=True):
        if "peer-model" in text or "per-call" in text:
            box.click()
    page.click("rs-apply")
    page.wait_body_text("2 values written")

    def option(key: str) -> dict:
        found = server.query("SELECT value FROM options WHERE key = ?", key)
        return json.loads(found[0][0]) if found else {}

    wait_until(lambda: option("ModelRatio").get("peer-model") == 3.5, "ModelRatio written", WAIT, 0.3)
    assert option("ModelPrice").get("per-call") == 0.04 and "other-model" not in option("ModelRatio")
    page.shot("ratio-sync")
