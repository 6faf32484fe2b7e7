"""The API keys page in a real browser (served like `make run`, fresh SQLite): create and edit in
the dialog, copy (the full key revealed once, the list masked), disable/enable with the service's
refusal shown, search, delete with confirm and batch delete, each checked in the database.

Screenshots land in artifacts/screenshots/ (tokens-*.png, light and dark, desktop and phone).
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime

import pytest
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from tests.ui.harness import ROOT_NAME, ROOT_PASSWORD, WAIT, ConsoleServer, Page, chromium


def _login(page: Page) -> None:
    page.open("/login")
    page.wait_path("/login")
    page.fill("username", ROOT_NAME)
    page.fill("password", ROOT_PASSWORD)
    page.click("submit")
    page.wait_path("/")
    WebDriverWait(page.d, WAIT).until(lambda d: d.find_element(By.ID, "user-menu").text.strip(), "not logged in")


def _rows(page: Page) -> list[str]:
    return page.d.execute_script(
        "return Array.from(document.querySelectorAll('#tokens-table tbody tr')).map(r => r.innerText.trim())")


def _wait_rows(page: Page, predicate) -> list[str]:
    found: list[list[str]] = []

    def check(_d: object) -> bool:
        found[:] = [_rows(page)]
        return bool(predicate(found[0]))

    WebDriverWait(page.d, WAIT, ignored_exceptions=(StaleElementReferenceException,)).until(
        check, "#tokens-table rows never matched")
    return found[0]


def _no_toasts(page: Page) -> None:
    page.d.execute_script("document.querySelectorAll('[data-sonner-toast] [data-close-button]')"
                          ".forEach(b => b.click())")
    WebDriverWait(page.d, WAIT).until(lambda d: not d.find_elements(By.CSS_SELECTOR, "[data-sonner-toast]"),
                                      "toasts never went away")


def _dialog_closed(page: Page, element_id: str) -> None:
    WebDriverWait(page.d, WAIT).until(lambda d: not d.find_elements(By.ID, element_id), f"#{element_id} stayed")


def test_tokens_create_edit_copy_disable_search_delete_batch(server: ConsoleServer) -> None:
    driver = chromium(width=1400, height=1000)
    page = Page(driver, server.url)
    try:
        _login(page)
        page.click("nav-token")
        page.wait_path("/token")
        page.wait_body_text("No API keys yet")

        # Create: $2.50 of quota, model limits and an IP allow-list.
        page.click("t-add")
        page.fill("t-name", "alpha")
        page.click("t-unlimited")  # off: the quota box appears, in money
        page.fill("t-quota", "2.5")
        page.click("t-limits")
        page.fill("t-models", "gpt-4o-mini, gpt-4o")
        page.fill("t-ips", "127.0.0.1")
        page.shot("tokens-form")
        page.click("t-save")
        _dialog_closed(page, "t-name")
        _wait_rows(page, lambda rs: len(rs) == 1 and "alpha" in rs[0] and "$2.50" in rs[0])
        ((aid, akey, remain, unlimited, limits_on, limits, ips, expires),) = server.query(
            "SELECT id, key, remain_quota, unlimited_quota, model_limits_enabled, model_limits, allow_ips,"
            " expired_time FROM tokens WHERE name = 'alpha'")
        assert (remain, unlimited, limits_on, limits, ips, expires) == (
            1_250_000, 0, 1, "gpt-4o-mini,gpt-4o", "127.0.0.1", -1)

        # An unlimited key with the defaults.
        page.click("t-add")
        page.fill("t-name", "beta")
        page.click("t-save")
        _dialog_closed(page, "t-name")
        rows = _wait_rows(page, lambda rs: len(rs) == 2)
        assert rows[0].startswith("beta") and "Unlimited" in rows[0] and "Never" in rows[0]
        ((bid, bkey),) = server.query("SELECT id, key FROM tokens WHERE name = 'beta'")

        # The list is masked; "copy" reveals the full key through the service, once.
        assert akey not in page.d.page_source and bkey not in page.d.page_source
        page.d.execute_cdp_cmd("Browser.grantPermissions", {
            "origin": server.url, "permissions": ["clipboardReadWrite", "clipboardSanitizedWrite"]})
        page.click(f"t-copy-{aid}")
        page.wait_text("t-key-value", f"sk-{akey}")
        clip = page.d.execute_async_script("navigator.clipboard.readText().then(arguments[0])")
        assert clip == f"sk-{akey}"
        page.shot("tokens-copy")
        page.click("t-key-close")
        _dialog_closed(page, "t-key-value")
        assert akey not in page.d.page_source
        _no_toasts(page)

        # Edit: the dialog starts with the stored values; a new name and $1 keep the rest.
        page.click(f"t-edit-{aid}")
        page.wait_value("t-name", "alpha")
        page.wait_value("t-quota", "2.5")
        page.wait_text("t-models", "gpt-4o-mini, gpt-4o")
        page.fill("t-name", "alpha2")
        page.fill("t-quota", "1")
        page.click("t-save")
        _dialog_closed(page, "t-name")
        _wait_rows(page, lambda rs: any(r.startswith("alpha2") and "$1.00" in r for r in rs))
        assert server.query("SELECT name, remain_quota, model_limits, allow_ips FROM tokens WHERE id = ?", aid) == [
            ("alpha2", 500_000, "gpt-4o-mini,gpt-4o", "127.0.0.1")]

        # An expiry date: a past one is refused in the service's words, a future one is stored as
        # the end of that day in the browser's zone (the container runs in UTC).
        page.click(f"t-edit-{bid}")
        page.wait_value("t-name", "beta")
        page.click("t-never")
        page.el("t-expiry").send_keys("01012020")  # en-US date box: mm dd yyyy
        page.click("t-save")
        page.wait_text("t-form-error", "the expiry time must be in the future, or -1 for never")
        assert server.query("SELECT expired_time FROM tokens WHERE id = ?", bid) == [(-1,)]
        page.el("t-expiry").send_keys("01312030")
        page.click("t-save")
        _dialog_closed(page, "t-name")
        _wait_rows(page, lambda rs: any(r.startswith("beta") and "Jan 31, 2030" in r for r in rs))
        assert server.query("SELECT expired_time FROM tokens WHERE id = ?", bid) == [
            (int(datetime(2030, 1, 31, 23, 59, 59, tzinfo=UTC).timestamp()),)]
        _no_toasts(page)

        # Disable, and enabling a used-up key is refused in the service's words.
        page.click(f"t-disable-{aid}")
        _wait_rows(page, lambda rs: any(r.startswith("alpha2") and "Disabled" in r for r in rs))
        assert server.query("SELECT status FROM tokens WHERE id = ?", aid) == [(2,)]
        with sqlite3.connect(server.db_path) as db:
            db.execute("UPDATE tokens SET remain_quota = 0 WHERE id = ?", (aid,))
        page.click(f"t-enable-{aid}")
        page.wait_body_text("the token's quota is used up; raise its remaining quota before enabling it")
        assert server.query("SELECT status FROM tokens WHERE id = ?", aid) == [(2,)]
        with sqlite3.connect(server.db_path) as db:
            db.execute("UPDATE tokens SET remain_quota = 500000 WHERE id = ?", (aid,))
        _no_toasts(page)
        page.click(f"t-enable-{aid}")
        _wait_rows(page, lambda rs: any(r.startswith("alpha2") and "Enabled" in r for r in rs))
        assert server.query("SELECT status FROM tokens WHERE id = ?", aid) == [(1,)]

        # Search by name, then by part of the key.
        page.fill("t-keyword", "bet")
        page.click("t-search")
        _wait_rows(page, lambda rs: len(rs) == 1 and rs[0].startswith("beta"))
        page.fill("t-keyword", "")
        page.fill("t-key-filter", akey[5:20])
        page.click("t-search")
        _wait_rows(page, lambda rs: len(rs) == 1 and rs[0].startswith("alpha2"))
        page.fill("t-key-filter", "")
        page.click("t-search")
        _wait_rows(page, lambda rs: len(rs) == 2)

        # Delete one with confirm (cancel first: nothing happens).
        page.click(f"t-delete-{bid}")
        page.wait_text("t-confirm-message", "beta")
        page.click("t-confirm-cancel")
        _dialog_closed(page, "t-confirm-message")
        assert server.query("SELECT deleted_at FROM tokens WHERE id = ?", bid) == [(None,)]
        page.click(f"t-delete-{bid}")
        page.click("t-confirm-ok")
        _wait_rows(page, lambda rs: len(rs) == 1)
        assert server.query("SELECT deleted_at IS NOT NULL FROM tokens WHERE id = ?", bid) == [(1,)]

        # Batch delete of the selected rows.
        for name in ("gamma", "delta"):
            page.click("t-add")
            page.fill("t-name", name)
            page.click("t-save")
            _dialog_closed(page, "t-name")
        _wait_rows(page, lambda rs: len(rs) == 3)
        ids = [i for (i,) in server.query("SELECT id FROM tokens WHERE name IN ('gamma', 'delta')")]
        for i in ids:
            page.click(f"tokens-table-select-{i}")
        page.wait_text("t-batch-delete", "(2)")
        page.shot("tokens-selected")
        page.click("t-batch-delete")
        page.wait_text("t-confirm-message", "2")
        page.click("t-confirm-ok")
        rows = _wait_rows(page, lambda rs: len(rs) == 1)
        assert rows[0].startswith("alpha2")
        assert server.query("SELECT name FROM tokens WHERE deleted_at IS NULL") == [("alpha2",)]
        page.shot("tokens")
    finally:
        driver.quit()


@pytest.mark.parametrize(("width", "height", "dark", "tag"), [
    (1400, 1000, True, "dark"), (390, 844, False, "phone"), (390, 844, True, "phone-dark")])
def test_tokens_screenshots(server: ConsoleServer, width: int, height: int, dark: bool, tag: str) -> None:
    driver = chromium(width=width, height=height)
    page = Page(driver, server.url)
    try:
        _login(page)
        if dark:
            page.click("theme-switch")
            WebDriverWait(page.d, WAIT).until(
                lambda d: "dark" in (d.find_element(By.TAG_NAME, "html").get_attribute("class") or "")
                or "dark" in (d.find_element(By.TAG_NAME, "html").get_attribute("style") or ""))
        page.open("/token")
        page.wait_path("/token")
        page.el("tokens-table")
        page.shot(f"tokens-{tag}")
        page.click("t-add")
        page.el("t-name")
        page.shot(f"tokens-form-{tag}")
    finally:
        driver.quit()
