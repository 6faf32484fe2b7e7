"""Issue #15 item 8 in a real browser: home shows the base URL to copy and, to an admin of an
instance with no channel, the "add a channel" step; a user with an empty balance is pointed to the
wallet; an empty table offers the action that fills it; an unknown address shows a 404 page with
the way back. Screenshots: artifacts/screenshots/onboarding-*.png."""

from __future__ import annotations

import json
import urllib.request

from tests.ui.harness import ROOT_NAME, ROOT_PASSWORD, ConsoleServer, Page, chromium, login


def test_home_steps_for_a_new_admin_and_empty_tables(server: ConsoleServer, page: Page) -> None:
    login(page, ROOT_NAME, ROOT_PASSWORD)
    page.wait_text("base-url", server.url + "/v1")
    page.el("home-needs-channel")
    page.shot("onboarding-home-admin")
    page.click("home-add-channel")
    page.wait_path("/channel")
    page.click("ch-add-empty")  # the empty table's own action opens the form
    page.el("ch-name")

    page.open("/token")
    page.click("t-add-empty")
    page.el("t-name")
    page.shot("onboarding-token-form")


def test_a_new_user_is_pointed_to_the_wallet(server: ConsoleServer) -> None:
    req = urllib.request.Request(server.url + "/api/user/register", method="POST",
                                 data=json.dumps({"username": "newbie", "password": "newbie-pass-1"}).encode(),
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as r:
        assert json.loads(r.read())["success"]
    for code, accept in (("en", "en-US,en"), ("zh_CN", "zh-CN,zh"), ("ja", "ja-JP,ja")):
        page = Page(chromium(width=390, height=844, accept_language=accept), server.url)
        try:
            login(page, "newbie", "newbie-pass-1")
            page.el("home-empty-wallet")
            page.wait_text("base-url", "/v1")
            page.shot(f"onboarding-home-user-{code}-phone")
            if code == "en":
                page.click("home-wallet")
                page.wait_path("/topup")
        finally:
            page.d.quit()


def test_unknown_address_has_a_way_back(server: ConsoleServer, page: Page) -> None:
    page.open("/no/such/page")
    page.wait_text("not-found", "Page not found")
    page.shot("onboarding-404")
    page.click("back-home")
    page.wait_path("/")
