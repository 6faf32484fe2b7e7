"""The home page's Uptime Kuma status (a fake Kuma status page) and the sign-up consent with the
user agreement and privacy policy pages, in a real browser (served like `make run`, fresh SQLite)."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from tests.fakes.json_site import JsonSite
from tests.support import wait_until
from tests.ui.harness import ROOT_NAME, ROOT_PASSWORD, WAIT, Api, ConsoleServer, Page

STATUS = {"publicGroupList": [{"name": "API", "monitorList": [{"id": 1, "name": "gateway"}, {"id": 2, "name": "db"}]}]}
BEATS = {"heartbeatList": {"1": [{"status": 1}], "2": [{"status": 0}]}, "uptimeList": {"1_24": 0.9987, "2_24": 0.5}}


@pytest.fixture(scope="module")
def kuma(server: ConsoleServer) -> Iterator[JsonSite]:
    with JsonSite({"/api/status-page/main": STATUS, "/api/status-page/heartbeat/main": BEATS}) as site:
        api = Api(server.url).login(ROOT_NAME, ROOT_PASSWORD)
        groups = json.dumps([{"categoryName": "Core", "url": site.url, "slug": "main"}])
        for key, value in (("fetch_setting.allow_private_ip", "true"), ("fetch_setting.allowed_ports", "[]"),
                           ("console_setting.uptime_kuma_groups", groups),
                           ("console_setting.uptime_kuma_enabled", "true"),
                           ("legal.user_agreement", "# Terms\n\nBe nice to the gateway."),
                           ("legal.privacy_policy", "We keep request logs.")):
            api.call("PUT", "/api/option/", {"key": key, "value": value})
        yield site


def test_home_shows_uptime(server: ConsoleServer, page: Page, kuma: JsonSite) -> None:
    page.login()
    rows: list[str] = []

    def two(d) -> bool:
        rows[:] = [r.text for r in d.find_elements(By.CSS_SELECTOR, "#uptime-table tr")]
        return len(rows) == 2

    WebDriverWait(page.d, WAIT).until(two, "the status rows never showed")
    gateway, db = sorted(rows, key=lambda r: "db" in r)
    assert "Core" in gateway and "Up" in gateway and "99.87%" in gateway
    assert "Down" in db and "50.00%" in db
    page.shot("home-uptime")


def test_register_asks_for_consent(server: ConsoleServer, page: Page, kuma: JsonSite) -> None:
    page.open("/register")
    page.wait_path("/register")
    assert page.el("link-agreement").get_attribute("href").endswith("/user-agreement")
    assert page.el("link-privacy").get_attribute("href").endswith("/privacy-policy")
    page.fill("username", "newbie")
    page.fill("password", "password123")
    page.fill("confirm", "password123")
    page.click("submit")
    page.wait_body_text("Please read and accept the terms first")
    assert server.query("SELECT count(*) FROM users WHERE username = 'newbie'") == [(0,)]
    page.click("agree-terms")
    page.click("submit")
    wait_until(lambda: server.query("SELECT count(*) FROM users WHERE username = 'newbie'") == [(1,)],
               "the sign-up", WAIT, 0.3)
    page.open("/user-agreement")
    page.wait_text("legal-content", "Be nice to the gateway.")
    page.open("/privacy-policy")
    page.wait_text("legal-content", "We keep request logs.")
