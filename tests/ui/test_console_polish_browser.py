"""Issue #15 in a real browser: costs with enough digits (item 1), log details in the reader's
language (item 2), and a Log in button that never stays spinning (item 3); in English, 简体中文 and
日本語, and at phone width. Screenshots: artifacts/screenshots/polish-*.png."""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from tests.ui.harness import ROOT_NAME, ROOT_PASSWORD, WAIT, ConsoleServer, Page, chromium

# (accept-language, the redeem row's details, the Details label) per script
LANGS = {
    "en": ("en-US,en", "Redeemed code #1 for $10.00", "Details"),
    "zh_CN": ("zh-CN,zh", "使用兑换码 #1 充值 $10.00", "详情"),
    "ja": ("ja-JP,ja", "引き換えコード #1 で $10.00 をチャージしました", "詳細"),
}


def _seed(server: ConsoleServer) -> None:
    """Root spent 38 quota ($0.000076) on one call, and redeemed a $10 code (a top-up row, no cost)."""
    now = int(time.time()) // 3600 * 3600
    other = {"model_ratio": 0.07, "group_ratio": 1, "completion_ratio": 4, "model_price": -1}
    with sqlite3.connect(server.db_path) as db:
        db.execute("UPDATE users SET used_quota = 38 WHERE id = 1")
        db.execute("INSERT INTO quota_data (user_id, username, model_name, created_at, token_used, count, quota) "
                   "VALUES (1, 'root', 'gpt-4o-mini', ?, 30, 1, 38)", (now,))
        db.execute(
            "INSERT INTO logs (user_id, created_at, type, content, username, token_name, model_name, quota, "
            "prompt_tokens, completion_tokens, use_time, is_stream, channel_id, token_id, \"group\", ip, other) "
            "VALUES (1, ?, 2, '模型倍率 0.07，补全倍率 4.00，分组倍率 1.00', 'root', 'k', 'gpt-4o-mini', 38, "
            "10, 20, 1, 0, 0, 1, 'default', '', ?)", (now - 120, json.dumps(other)))
        db.execute(
            "INSERT INTO logs (user_id, created_at, type, content, username, token_name, model_name, quota, "
            "prompt_tokens, completion_tokens, use_time, is_stream, channel_id, token_id, \"group\", ip, other) "
            "VALUES (1, ?, 1, 'redeemed code #1 for $10.000000', 'root', '', '', 0, 0, 0, 0, 0, 0, 0, '', '', ?)",
            (now - 60, json.dumps({"event": "redeem", "code_id": 1, "quota": 5_000_000})))


@pytest.fixture(scope="module")
def seeded(server: ConsoleServer) -> ConsoleServer:
    _seed(server)
    return server


@contextmanager
def _browser(server: ConsoleServer, lang: str, width: int = 1400) -> Iterator[Page]:
    driver = chromium(width=width, height=900, accept_language=LANGS[lang][0])
    try:
        yield Page(driver, server.url)
    finally:
        driver.quit()


def _login(page: Page) -> None:
    page.open("/login")
    page.wait_path("/login")
    page.fill("username", ROOT_NAME)
    page.fill("password", ROOT_PASSWORD)
    page.click("submit")
    page.wait_path("/")


def _rows(page: Page) -> list[str]:
    found: list[str] = []

    def two(d) -> bool:
        found[:] = [r.text for r in d.find_elements(By.CSS_SELECTOR, "#logs-table tbody tr")]
        return len(found) == 2

    WebDriverWait(page.d, WAIT, ignored_exceptions=(StaleElementReferenceException,)).until(two, "two log rows")
    return found


def _ticks(page: Page) -> list[str]:
    """The quota chart's y-axis labels (SVG text: Selenium's .text is empty there)."""
    return [t.get_attribute("textContent") for t in
            page.d.find_elements(By.CSS_SELECTOR, "#chart-quota .recharts-yAxis-tick-labels text")]


@pytest.mark.parametrize("lang", list(LANGS))
def test_costs_and_details_in_each_language(seeded: ConsoleServer, lang: str) -> None:
    with _browser(seeded, lang) as page:
        _login(page)
        page.open("/log")
        redeem_row, call_row = _rows(page)  # newest first
        assert "$0.000076" in call_row  # six decimals, as new-api's log table
        assert "$" not in redeem_row  # a top-up row has no cost in the table: blank, not $0.00
        page.wait_text("log-stat-quota", "$0.000076")
        page.click("log-detail-0")
        page.wait_text("log-detail", LANGS[lang][1])
        assert "$10.000000" not in page.el("log-detail").text
        page.shot(f"polish-log-detail-{lang}")
        page.click("log-detail-close")
        page.click("log-detail-1")
        page.wait_text("log-detail", "0.07")  # the consume row: ratios as translated fields...
        detail = page.el("log-detail").text
        assert "模型倍率 0.07，" not in detail  # ...never new-api's Chinese content line
        assert {"en": "No", "zh_CN": "否", "ja": "いいえ"}[lang] in detail  # "Stream": not streamed, in the language

        page.open("/detail")
        page.wait_text("dash-used", "$0.000076")
        page.wait_text("dash-period-quota", "$0.000076")
        WebDriverWait(page.d, WAIT).until(lambda _d: "$0.00006" in _ticks(page), "the quota axis never showed dollars")
        assert all(t.startswith("$") for t in _ticks(page)), _ticks(page)  # whole labels, not ".00006"
        page.shot(f"polish-dashboard-{lang}")


def test_logs_at_phone_width(seeded: ConsoleServer) -> None:
    with _browser(seeded, "ja", width=390) as page:
        _login(page)
        page.open("/log")
        assert "$0.000076" in _rows(page)[1]
        page.shot("polish-logs-390-ja")


def _spinning(page: Page) -> bool:
    return not page.d.find_element(By.ID, "submit").is_enabled()


def test_login_button_never_stays_spinning(server: ConsoleServer) -> None:
    with _browser(server, "en") as page:
        page.open("/login")
        page.wait_path("/login")
        # A wrong password: the button spins, then comes back with the server's message.
        page.fill("username", ROOT_NAME)
        page.fill("password", "wrong-password-1")
        page.click("submit")
        WebDriverWait(page.d, WAIT).until(lambda _d: not _spinning(page), "the button kept spinning")
        # A request that never answers, then a reload: the reloaded page must not inherit the spinner.
        page.d.execute_script("window.fetch = () => new Promise(() => {});")
        page.fill("password", ROOT_PASSWORD)
        page.click("submit")
        WebDriverWait(page.d, WAIT).until(lambda _d: _spinning(page), "the button never spun")
        page.d.refresh()
        page.wait_path("/login")
        page.el("username")
        WebDriverWait(page.d, WAIT).until(lambda _d: not _spinning(page), "the spinner survived the reload")
        # And the login still works in this tab.
        page.fill("username", ROOT_NAME)
        page.fill("password", ROOT_PASSWORD)
        page.click("submit")
        page.wait_path("/")
