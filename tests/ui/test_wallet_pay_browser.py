"""A user tops up in the browser as a new user would: a preset with its live price, Pay, the
(fake) Epay page takes the signed form and calls back twice, the browser comes back to the
wallet, and the balance shows the credit once. Also the daily check-in from the wallet."""

from __future__ import annotations

import http.cookiejar
import json
import urllib.request

from selenium.webdriver.common.by import By

from tests.conftest import LiveServer
from tests.fakes.epay import FakeEpay
from tests.ui.harness import ROOT_NAME, ROOT_PASSWORD, ConsoleServer, Page

KEY = "browser-epay-key"


def _api(server: ConsoleServer):
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    state = {"uid": 0}

    def call(method: str, path: str, body: dict | None = None) -> dict:
        headers = {"Content-Type": "application/json"}
        if state["uid"]:
            headers["New-Api-User"] = str(state["uid"])
        req = urllib.request.Request(server.url + path, method=method, headers=headers,
                                     data=json.dumps(body).encode() if body is not None else None)
        with opener.open(req, timeout=10) as r:
            reply = json.loads(r.read())
        assert reply["success"], reply
        return reply

    state["uid"] = call("POST", "/api/user/login", {"username": ROOT_NAME, "password": ROOT_PASSWORD})["data"]["id"]
    return call


def _login(page: Page) -> None:
    page.open("/login")
    page.wait_path("/login")
    page.fill("username", ROOT_NAME)
    page.fill("password", ROOT_PASSWORD)
    page.click("submit")
    page.wait_path("/")


def test_epay_top_up_in_the_browser_credits_once(server: ConsoleServer, page: Page) -> None:
    fake = FakeEpay(KEY)
    with LiveServer(fake.app) as epay:
        call = _api(server)
        for key, value in {"PayAddress": epay.url, "EpayId": "1001", "EpayKey": KEY, "ServerAddress": server.url,
                           "checkin_setting.enabled": "true", "checkin_setting.min_quota": "1000",
                           "checkin_setting.max_quota": "1000"}.items():
            call("PUT", "/api/option/", {"key": key, "value": value})
        call("POST", "/api/option/payment_compliance", {"confirmed": True})
        (before,) = server.query("SELECT quota FROM users WHERE id = 1")[0]
        _login(page)
        page.open("/topup")
        page.wait_path("/topup")
        page.click("preset-10")
        page.wait_text("topup_price", "73.00")
        page.click("topup_pay")
        page._wait(lambda d: fake.answers == ["success", "success"], "the provider's notify")
        page.wait_path("/topup")
        expected = before + 10 * 500_000
        page.wait_text("wallet-balance", f"${expected / 500_000:,.2f}")
        assert server.query("SELECT quota FROM users WHERE id = 1")[0][0] == expected
        assert server.query("SELECT status FROM top_ups")[0][0] == "success"
        page._wait(lambda d: "Paid" in d.find_element(By.ID, "orders-table").text, "the order shown as paid")
        page.shot("user-wallet-paid")
        page.click("checkin")
        page.wait_text("checkin", "Checked in today")
        assert server.query("SELECT quota FROM users WHERE id = 1")[0][0] == expected + 1000
