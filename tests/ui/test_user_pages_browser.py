"""The user pages in a real browser (served like `make run`, fresh SQLite): dashboard, logs, wallet,
personal settings, pricing, about + notice (the playground has its own module,
test_playground_browser.py). Every flow is checked against the database.

Screenshots land in artifacts/screenshots/ (user-*.png: light and dark, desktop and phone).
"""

from __future__ import annotations

import json
import sqlite3
import time

import pytest
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from tests.fakes.upstream import FakeUpstream
from tests.ui.harness import ROOT_NAME, ROOT_PASSWORD, WAIT, Api, ConsoleServer, Page, chromium

PAGES = ("/detail", "/log", "/topup", "/setting", "/pricing", "/about", "/playground")


@pytest.fixture(scope="module")
def api(server: ConsoleServer) -> Api:
    return Api(server.url).login(ROOT_NAME, ROOT_PASSWORD)


def _login(page: Page, username: str = ROOT_NAME, password: str = ROOT_PASSWORD) -> None:
    page.open("/login")
    page.wait_path("/login")
    page.fill("username", username)
    page.fill("password", password)
    page.click("submit")
    page.wait_path("/")
    # Not "nav-user": the admin Users link has that id too. The menu shows the display name.
    WebDriverWait(page.d, WAIT).until(lambda d: d.find_element(By.ID, "user-menu").text.strip(), "not logged in")


def _go(page: Page, route: str) -> None:
    """Navigate inside the app (keeps the websocket, like a user clicking the sidebar)."""
    page.click("nav-" + route.strip("/"))
    page.wait_path(route)


def _rows(page: Page, table_id: str) -> list[str]:
    return [r.text for r in page.d.find_elements(By.CSS_SELECTOR, f"#{table_id} tbody tr")]


def _wait_rows(page: Page, table_id: str, predicate) -> list[str]:
    found: list[list[str]] = []

    def check(_d) -> bool:
        found[:] = [_rows(page, table_id)]
        return bool(predicate(found[0]))

    WebDriverWait(page.d, WAIT, ignored_exceptions=(StaleElementReferenceException,)).until(
        check, f"#{table_id} rows never matched")
    return found[0]


def _dark(page: Page) -> None:
    page.click("theme-switch")
    WebDriverWait(page.d, 10).until(
        lambda d: "dark" in (d.find_element(By.TAG_NAME, "html").get_attribute("class") or "")
        or "dark" in (d.find_element(By.TAG_NAME, "html").get_attribute("style") or ""))


def _seed_usage(server: ConsoleServer) -> int:
    """Two hours of quota_data and three log rows for root; returns the consume row's id."""
    now = int(time.time()) // 3600 * 3600
    with sqlite3.connect(server.db_path) as db:
        db.executemany(
            "INSERT INTO quota_data (user_id, username, model_name, created_at, token_used, count, quota) "
            "VALUES (1, 'root', ?, ?, ?, ?, ?)",
            [("gpt-4o", now - 3600, 3000, 6, 150000), ("claude-opus-4-1", now - 3600, 1200, 2, 250000),
             ("gpt-4o", now, 600, 3, 50000)],
        )
        other = {"model_ratio": 1.25, "group_ratio": 1, "completion_ratio": 4, "cache_tokens": 64,
                 "cache_ratio": 0.5, "model_price": -1, "frt": 420,
                 "admin_info": {"use_channel": ["3", "7"]}}
        rows = [(now - 60 * i, 2, "gpt-4o" if i % 2 else "claude-opus-4-1", 1000 + i, json.dumps(other))
                for i in range(1, 13)]
        db.executemany(
            "INSERT INTO logs (user_id, created_at, type, content, username, token_name, model_name, quota, "
            "prompt_tokens, completion_tokens, use_time, is_stream, channel_id, token_id, \"group\", ip, other) "
            "VALUES (1, ?, ?, '', 'root', 'ci-key', ?, ?, 100, 20, 2, 1, 7, 1, 'default', '', ?)", rows)
        (last_id,) = db.execute("SELECT max(id) FROM logs").fetchone()
    return last_id


def test_dashboard_and_logs(server: ConsoleServer, page: Page) -> None:
    _seed_usage(server)
    _login(page)
    _go(page, "/detail")
    page.wait_text("dash-period-calls", "11")  # 6 + 2 + 3 calls in the last 7 days
    page.wait_text("dash-period-tokens", "4,800")
    page.wait_text("dash-period-quota", "$0.90")  # 450,000 quota
    page.wait_text("dash-balance", "$200.00")
    WebDriverWait(page.d, WAIT).until(
        lambda d: len(d.find_elements(By.CSS_SELECTOR, "#chart-calls .recharts-bar-rectangle")) >= 2,
        "the calls chart drew no bars")
    assert "claude-opus-4-1" in page.el("chart-quota").text  # the legend names the models
    page.click("gran-hour")
    WebDriverWait(page.d, WAIT).until(
        lambda d: ":00" in d.find_element(By.ID, "chart-calls").text, "hour buckets never showed")
    page.shot("user-dashboard")

    _go(page, "/log")
    rows = _wait_rows(page, "logs-table", lambda r: len(r) == 10)
    assert "gpt-4o" in rows[0] or "claude-opus-4-1" in rows[0]
    page.wait_text("page-indicator", "1 / 2")
    page.wait_text("log-stat-quota", "$")
    page.fill("log-model_name", "claude")
    page.click("log-query")
    rows = _wait_rows(page, "logs-table", lambda r: len(r) == 6)
    assert all("claude-opus-4-1" in r for r in rows)
    page.click("log-detail-0")
    page.wait_text("log-detail", "Channels tried")  # root is an admin: admin_info.use_channel shows
    detail = page.el("log-detail").text
    assert "3 → 7" in detail and "420 ms" in detail and "Cached tokens" in detail
    assert "$2.50" in detail and "$10.00" in detail  # ratio 1.25 -> $2.50 in, x4 -> $10.00 out per 1M
    page.shot("user-logs-detail")
    page.click("log-detail-close")


def test_wallet_redeems_once(server: ConsoleServer, page: Page) -> None:
    now = int(time.time())
    with sqlite3.connect(server.db_path) as db:
        db.execute("INSERT INTO redemptions (user_id, key, status, name, quota, created_time, redeemed_time, "
                   "used_user_id, expired_time) VALUES (1, 'ui2-code-0001', 1, 'gift', 5000000, ?, 0, 0, 0)", (now,))
    (before,) = server.query("SELECT quota FROM users WHERE id = 1")[0]
    _login(page)
    _go(page, "/topup")
    page.wait_text("wallet-balance", "$")
    page.fill("redeem_key", "ui2-code-0001")
    page.click("redeem")
    page.wait_body_text("$10.00")
    _wait_rows(page, "topup-table", lambda r: any("redeemed code" in x for x in r))
    assert server.query("SELECT quota FROM users WHERE id = 1")[0][0] == before + 5_000_000
    page.wait_text("wallet-balance", f"${(before + 5_000_000) / 500_000:,.2f}")  # the card follows at once
    page.shot("user-wallet")
    page.fill("redeem_key", "ui2-code-0001")  # a second try is refused and costs nothing
    page.click("redeem")
    page.wait_body_text("already been used")
    assert server.query("SELECT quota FROM users WHERE id = 1")[0][0] == before + 5_000_000


def test_personal_settings(server: ConsoleServer, page: Page) -> None:
    _login(page)
    _go(page, "/setting")
    page.fill("display_name", "Root Admin")
    page.click("save-profile")
    page.wait_body_text("Saved")
    assert server.query("SELECT display_name FROM users WHERE id = 1") == [("Root Admin",)]

    page.fill("original_password", "not-the-password")
    page.fill("new_password", "newpass1234")
    page.fill("confirm_password", "newpass1234")
    page.click("save-password")
    page.wait_body_text("the original password is wrong")

    page.click("rotate-token")
    shown = WebDriverWait(page.d, WAIT).until(lambda _d: page.el("access-token").get_attribute("value"),
                                              "the new access token was never shown")
    assert len(shown) == 32 and server.query("SELECT access_token FROM users WHERE id = 1") == [(shown,)]

    page.click("notify-webhook")
    page.fill("threshold", "0.5")  # in dollars, as the site shows money: 250,000 quota units
    page.fill("webhook_url", "https://hooks.example/notify")
    page.fill("webhook_secret", "s3cret-value")
    page.click("save-notify")
    page.wait_body_text("Saved")
    setting = json.loads(server.query("SELECT setting FROM users WHERE id = 1")[0][0])
    assert setting["notify_type"] == "webhook" and setting["quota_warning_threshold"] == 250000
    assert setting["webhook_url"] == "https://hooks.example/notify" and setting["webhook_secret"] == "s3cret-value"
    page.wait_text("secret-set", "secret")  # the secret itself is never shown back
    page.shot("user-settings")


def test_public_pricing_about_and_notice(server: ConsoleServer, api: Api, fake: FakeUpstream, page: Page) -> None:
    _ensure_channel(api, fake)
    api.call("PUT", "/api/option/", {"key": "GroupRatio", "value": '{"default": 1, "vip": 2}'})
    api.call("PUT", "/api/option/", {"key": "About", "value": "# About us\n\nA **test** gateway."})
    api.call("PUT", "/api/option/", {"key": "Notice", "value": "Maintenance on *Sunday*"})
    page.open("/pricing")  # public: no login
    rows = _wait_rows(page, "pricing-table", lambda r: any("gpt-4o-mini" in x for x in r))
    mini = next(r for r in rows if r.startswith("gpt-4o-mini"))
    assert "$0.15" in mini and "$0.60" in mini  # ratio 0.075 x $2; completion x4
    page.shot("user-pricing")
    page.fill("price-search", "zzz-no-such-model")
    page.wait_text("price-empty", "No models")

    page.open("/about")
    page.wait_text("about-content", "About us")
    assert page.d.find_element(By.CSS_SELECTOR, "#about-content strong").text == "test"
    page.shot("user-about")

    page.open("/")
    page.wait_text("site-notice", "Maintenance on Sunday")
    page.click("notice-dismiss")
    WebDriverWait(page.d, WAIT).until(lambda d: not d.find_elements(By.ID, "site-notice"), "notice stayed")
    page.open("/")  # the browser remembers the dismissal
    page.wait_path("/")
    # An absence has no event to wait on: give the notice's load (on mount) a second to show it.
    time.sleep(1)
    assert not page.d.find_elements(By.ID, "site-notice")


def _ensure_channel(api: Api, fake: FakeUpstream) -> None:
    if api.call("GET", "/api/channel/?p=1&page_size=10")["data"]["items"]:
        return
    api.call("POST", "/api/channel/", {"mode": "single", "channel": {
        "name": "fake", "type": 1, "key": "sk-upstream", "base_url": fake.url, "models": "gpt-4o-mini",
        "group": "default,vip"}})


@pytest.mark.parametrize(("width", "height", "dark", "tag"), [
    (1400, 1000, True, "dark"), (390, 844, False, "phone"), (390, 844, True, "phone-dark")])
def test_screenshots(server: ConsoleServer, width: int, height: int, dark: bool, tag: str) -> None:
    driver = chromium(width=width, height=height)
    try:
        page = Page(driver, server.url)
        _login(page)
        if dark:
            _dark(page)
        for route in PAGES:
            page.open(route)
            page.wait_path(route)
            page.el("frame")
            time.sleep(0.3)  # let the page's data events land before the picture
            page.shot(f"user-{route.strip('/')}-{tag}")
    finally:
        driver.quit()
