"""The admin pages in a real browser (served like `make run`, fresh SQLite): channels, users,
redemption codes and the root's settings, each driven through its flow and checked in the database.

Screenshots land in artifacts/screenshots/ (admin-*.png, light and dark, desktop and phone).
"""

from __future__ import annotations

import csv
import io
import json
import urllib.request

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from tests.ui.harness import ROOT_NAME, ROOT_PASSWORD, WAIT, ConsoleServer, Page, chromium
from tests.ui.harness import click_tab as _tab
from tests.ui.harness import login as _login
from tests.ui.harness import no_toasts as _no_toasts


def _pick(page: Page, trigger_id: str, label: str) -> None:
    """Choose an item of a Radix select (its list opens in a portal)."""
    page.click(trigger_id)
    option = WebDriverWait(page.d, WAIT).until(
        lambda d: d.find_element(By.XPATH, f"//*[@role='option'][normalize-space()='{label}']"))
    option.click()
    WebDriverWait(page.d, WAIT).until(lambda d: not d.find_elements(By.CSS_SELECTOR, "[role='listbox']"))


def _token_key(server: ConsoleServer, page: Page) -> str:
    """A gateway API key of the logged-in root, made through the management API with the browser's
    own session, read back from the database."""
    cookie = next(c["value"] for c in page.d.get_cookies() if c["name"] == "session")
    ((user_id,),) = server.query("SELECT id FROM users WHERE username = ?", ROOT_NAME)
    req = urllib.request.Request(
        server.url + "/api/token/", method="POST",
        data=json.dumps({"name": "fetch-models", "expired_time": -1, "unlimited_quota": True}).encode(),
        headers={"Content-Type": "application/json", "Cookie": f"session={cookie}", "New-Api-User": str(user_id)})
    with urllib.request.urlopen(req, timeout=10) as r:
        assert json.loads(r.read())["success"]
    ((key,),) = server.query("SELECT key FROM tokens WHERE name = 'fetch-models'")
    return key if key.startswith("sk-") else f"sk-{key}"


def _rows(page: Page, table_id: str) -> list[str]:
    """The rows' text in one read inside the page, so a re-render mid-read cannot leave stale handles."""
    return page.d.execute_script(
        "return Array.from(document.querySelectorAll(arguments[0])).map(r => r.innerText)", f"#{table_id} tbody tr")


def _wait_rows(page: Page, table_id: str, predicate) -> list[str]:
    found: list[list[str]] = []

    def check(_d: object) -> bool:
        found[:] = [_rows(page, table_id)]
        return bool(predicate(found[0]))

    WebDriverWait(page.d, WAIT).until(check, f"#{table_id} rows never matched")
    return found[0]


def _wait_exact(page: Page, element_id: str, text: str) -> None:
    WebDriverWait(page.d, WAIT).until(lambda _d: page.el(element_id).text == text, f"#{element_id} != {text!r}")


def _shot(page: Page, name: str) -> None:
    """A screenshot of the page from its top, without toasts over it."""
    _no_toasts(page)
    page.d.execute_script("window.scrollTo(0, 0)")
    page.shot(name)


def _dark(page: Page) -> None:
    _no_toasts(page)
    page.click("theme-switch")
    WebDriverWait(page.d, 10).until(
        lambda d: "dark" in (d.find_element(By.TAG_NAME, "html").get_attribute("class") or "")
        or "dark" in (d.find_element(By.TAG_NAME, "html").get_attribute("style") or ""))


def test_channels_create_validate_edit_disable_test_delete(server: ConsoleServer, page: Page) -> None:
    _login(page, ROOT_NAME, ROOT_PASSWORD)
    page.click("nav-channel")
    page.wait_path("/channel")
    page.wait_body_text("Nothing here yet")

    page.click("ch-add")
    page.wait_value("ch-base-url", "https://api.openai.com")  # the default type's base URL
    _pick(page, "ch-type", "14 · Anthropic")  # the base URL follows the type...
    page.wait_value("ch-base-url", "https://api.anthropic.com")
    _pick(page, "ch-type", "3 · Azure")  # ...and the form explains the type's own fields
    page.wait_text("ch-type-hint", "API version in Other")
    page.wait_value("ch-base-url", "")
    _pick(page, "ch-type", "1 · OpenAI")
    page.wait_value("ch-base-url", "https://api.openai.com")
    assert not page.d.find_elements(By.ID, "ch-type-hint")
    page.fill("ch-name", "primary")
    page.fill("ch-key", "sk-upstream-secret-0001")
    page.fill("ch-model-input", "gpt-4o, gpt-4o-mini")
    page.click("ch-model-add")
    page.wait_text("ch-models", "gpt-4o-mini")
    page.fill("ch-json-model_mapping", '{"gpt-4o": ')  # broken JSON: shown inline, nothing saved
    page.click("ch-save")
    page.wait_text("ch-json-model_mapping-error", "Invalid JSON")
    page.wait_text("ch-form-error", "Fix the fields marked in red")
    assert server.query("SELECT COUNT(*) FROM channels") == [(0,)]
    page.shot("admin-channel-form-error")
    page.fill("ch-json-model_mapping", '{"gpt-4o": ""}')  # valid JSON the service refuses
    page.click("ch-save")
    page.wait_text("ch-json-model_mapping-error", "model_mapping values must be non-empty model names")
    assert server.query("SELECT COUNT(*) FROM channels") == [(0,)]
    page.fill("ch-json-model_mapping", '{"gpt-4o": "gpt-4o-2024-11-20"}')
    page.click("ch-save")
    page.wait_body_text("Saved")
    rows = _wait_rows(page, "channels-table", lambda rs: len(rs) == 1)
    assert "primary" in rows[0] and "OpenAI" in rows[0] and "Enabled" in rows[0]
    ((cid, key, models, mapping, group),) = server.query(
        "SELECT id, key, models, model_mapping, \"group\" FROM channels")
    assert (key, models, group) == ("sk-upstream-secret-0001", "gpt-4o,gpt-4o-mini", "default")
    assert json.loads(mapping) == {"gpt-4o": "gpt-4o-2024-11-20"}
    assert "sk-upstream-secret-0001" not in page.d.page_source  # the key never comes back

    # Edit: the key box starts empty and an empty key keeps the stored one.
    page.click(f"ch-edit-{cid}")
    page.wait_value("ch-name", "primary")
    assert page.el("ch-key").get_attribute("value") == ""
    assert "sk-upstream-secret-0001" not in page.d.page_source
    page.fill("ch-priority", "5")
    page.fill("ch-tag", "team-a")
    page.click("ch-save")
    _wait_rows(page, "channels-table", lambda rs: len(rs) == 1 and "team-a" in rs[0])
    assert server.query("SELECT key, priority, tag FROM channels") == [("sk-upstream-secret-0001", 5, "team-a")]

    # "Fetch upstream models" with the key typed in the form: the upstream here is this gateway
    # itself, whose /v1/models lists what the enabled channel serves to the token's group.
    gateway_key = _token_key(server, page)
    page.click("ch-add")
    page.fill("ch-base-url", server.url)
    page.fill("ch-key", gateway_key)
    page.click("ch-fetch-models")
    page.wait_body_text("2 models added")
    assert {e.text for e in page.d.find_elements(By.CSS_SELECTOR, "#ch-models .model-chip")} == {
        "gpt-4o", "gpt-4o-mini"}
    page.click("ch-cancel")
    WebDriverWait(page.d, WAIT).until(lambda d: not d.find_elements(By.ID, "ch-form"))
    assert server.query("SELECT COUNT(*) FROM channels") == [(1,)]

    page.click(f"ch-disable-{cid}")
    _wait_rows(page, "channels-table", lambda rs: "Disabled" in rs[0])
    assert server.query("SELECT status FROM channels") == [(2,)]
    assert server.query("SELECT COUNT(*) FROM abilities WHERE enabled = 1") == [(0,)]
    page.click(f"ch-enable-{cid}")
    _wait_rows(page, "channels-table", lambda rs: "Enabled" in rs[0])

    # Test one channel with a chosen model: its upstream is unreachable here, so the test fails
    # and says why (nothing is billed).
    page.click(f"ch-test-{cid}")
    page.wait_value("ch-test-model-input", "gpt-4o")
    page.fill("ch-test-model-input", "gpt-4o-mini")
    page.click("ch-run-test")
    page.wait_text("ch-test-result", "Test failed")
    page.d.find_element(By.TAG_NAME, "body").send_keys("\ue00c")

    # Tag batch actions on a selection, then batch delete through the confirmation.
    page.el("ch-add")
    page.click(f"channels-table-select-{cid}")
    page.wait_text("ch-selected-count", "1")
    page.fill("ch-tag-input", "team-b")
    page.click("ch-batch-tag")
    _wait_rows(page, "channels-table", lambda rs: "team-b" in rs[0])
    page.click("ch-tag-disable")
    _wait_rows(page, "channels-table", lambda rs: "Disabled" in rs[0])
    _shot(page, "admin-channels")
    _dark(page)
    _shot(page, "admin-channels-dark")
    page.click("ch-batch-delete")
    page.wait_text("ch-confirm-message", "Delete 1 selected channels?")
    page.click("ch-confirm-ok")
    page.wait_body_text("Nothing here yet")
    assert server.query("SELECT COUNT(*) FROM channels") == [(0,)]


def test_users_create_edit_quota_roles_and_refusals(server: ConsoleServer, page: Page) -> None:
    _login(page, ROOT_NAME, ROOT_PASSWORD)
    page.open("/user")
    page.wait_path("/user")
    page.click("u-add")
    page.fill("username", "bob")
    page.fill("display_name", "Bob")
    page.fill("password", "short")
    page.click("u-create-save")
    page.wait_text("u-form-error", "the password must be 8 to 20 characters long")  # the service's refusal
    page.fill("password", "bobpass123")
    page.click("u-create-save")
    _wait_rows(page, "users-table", lambda rs: any("bob" in r for r in rs))
    ((bob_id,),) = server.query("SELECT id FROM users WHERE username = 'bob'")

    page.click(f"u-edit-{bob_id}")
    page.wait_value("u-display-name", "Bob")
    page.fill("u-quota", "5")  # money: $5 = 2,500,000 quota
    page.click("u-edit-save")
    _wait_rows(page, "users-table", lambda rs: any("$5.00" in r for r in rs))
    assert server.query("SELECT quota FROM users WHERE id = ?", bob_id) == [(2_500_000,)]
    page.click(f"u-edit-{bob_id}")
    page.wait_value("u-quota", "5")
    page.click("u-unit-tokens")
    page.wait_value("u-quota", "2500000")
    page.fill("u-quota", "1000000")
    page.click("u-edit-save")
    _wait_rows(page, "users-table", lambda rs: any("$2.00" in r for r in rs))
    assert server.query("SELECT quota FROM users WHERE id = ?", bob_id) == [(1_000_000,)]

    page.click(f"u-promote-{bob_id}")
    _wait_rows(page, "users-table", lambda rs: any("bob" in r and "Admin" in r for r in rs))
    assert server.query("SELECT role FROM users WHERE id = ?", bob_id) == [(10,)]
    page.click(f"u-promote-{bob_id}")  # refused by the service, shown as it says
    page.wait_body_text("this user is already an administrator")
    ((root_id,),) = server.query("SELECT id FROM users WHERE username = ?", ROOT_NAME)
    page.click(f"u-disable-{root_id}")
    page.wait_body_text("the root user cannot be disabled, deleted or demoted")
    assert server.query("SELECT status FROM users WHERE id = ?", root_id) == [(1,)]
    _shot(page, "admin-users")

    # bob is an admin now: the admin pages open, the root-only settings do not, and the role rules
    # hold for him (he cannot act on root).
    admin = Page(chromium(width=390, height=844), server.url)
    try:
        _login(admin, "bob", "bobpass123", "Bob")
        admin.open("/admin/settings")
        admin.wait_path("/")
        admin.open("/user")
        admin.wait_path("/user")
        _wait_rows(admin, "users-table", lambda rs: len(rs) == 2)
        admin.click(f"u-edit-{root_id}")
        admin.wait_body_text("no permission to act on a user of the same or a higher role")
        _shot(admin, "admin-users-phone")
        _dark(admin)
        _shot(admin, "admin-users-dark-phone")
        # Demoted while the page is open: the next action is refused server-side.
        page.click(f"u-demote-{bob_id}")
        _wait_rows(page, "users-table", lambda rs: any("bob" in r and "User" in r for r in rs))
        admin.click(f"u-edit-{bob_id}")
        admin.wait_path("/")
        admin.wait_body_text("Permission denied")
        assert not admin.d.find_elements(By.ID, "nav-channel")  # the navigation follows the new role
        admin.open("/channel")
        admin.wait_path("/")
    finally:
        admin.d.quit()

    page.click(f"u-disable-{bob_id}")
    _wait_rows(page, "users-table", lambda rs: any("bob" in r and "Disabled" in r for r in rs))
    page.click(f"u-delete-{bob_id}")
    page.wait_text("u-confirm-message", "bob")
    page.click("u-confirm-ok")
    _wait_rows(page, "users-table", lambda rs: not any("bob" in r for r in rs))
    assert server.query("SELECT COUNT(*) FROM users WHERE username = 'bob'") == [(0,)]


def test_redemption_codes_generate_once_disable_delete(server: ConsoleServer, page: Page, tmp_path) -> None:
    _login(page, ROOT_NAME, ROOT_PASSWORD)
    page.click("nav-redemption")
    page.wait_path("/redemption")
    page.click("r-add")
    page.fill("name", "promo")
    page.fill("quota", "2")
    page.fill("count", "101")
    page.click("r-create-save")
    page.wait_text("r-form-error", "count must be between 1 and 100")
    assert server.query("SELECT COUNT(*) FROM redemptions") == [(0,)]
    page.fill("count", "3")
    page.click("r-create-save")
    WebDriverWait(page.d, WAIT).until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#r-new-keys .new-key")) == 3)
    shown = sorted(e.get_attribute("textContent") for e in page.d.find_elements(By.CSS_SELECTOR, "#r-new-keys .new-key"))
    stored = server.query("SELECT key, quota, status FROM redemptions ORDER BY key")
    assert shown == [k for k, _q, _s in stored]
    assert {(q, s) for _k, q, s in stored} == {(1_000_000, 1)}
    page.shot("admin-redemption-keys")
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    page.d.execute_cdp_cmd("Page.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)})
    page.click("r-download")
    WebDriverWait(page.d, WAIT).until(lambda _d: (downloads / "redemption-promo.csv").exists())
    rows = list(csv.reader(io.StringIO((downloads / "redemption-promo.csv").read_text())))
    assert rows[0] == ["name", "quota", "key"]
    assert sorted(r[2] for r in rows[1:]) == shown and {(r[0], r[1]) for r in rows[1:]} == {("promo", "$2.00")}
    page.click("r-keys-close")
    WebDriverWait(page.d, WAIT).until(lambda d: not d.find_elements(By.ID, "r-new-keys"))
    rows = _wait_rows(page, "redemptions-table", lambda rs: len(rs) == 3)
    assert all("promo" in r and "$2.00" in r and "Unused" in r for r in rows)

    ((first,),) = server.query("SELECT MIN(id) FROM redemptions")
    page.click(f"r-disable-{first}")
    _wait_rows(page, "redemptions-table", lambda rs: sum("Disabled" in r for r in rs) == 1)
    assert server.query("SELECT status FROM redemptions WHERE id = ?", first) == [(2,)]
    _shot(page, "admin-redemptions")
    page.click("r-delete-invalid")
    page.click("r-confirm-ok")
    page.wait_body_text("1 codes deleted")
    _wait_rows(page, "redemptions-table", lambda rs: len(rs) == 2)
    page.click("lang-menu")
    page.click("lang-zh_CN")
    page.wait_text("nav-redemption", "兑换码")
    _shot(page, "admin-redemptions-zh_CN")


def test_settings_root_only_json_refused_secrets_write_only(server: ConsoleServer, page: Page) -> None:
    _login(page, ROOT_NAME, ROOT_PASSWORD)
    page.click("nav-admin/settings")
    page.wait_path("/admin/settings")
    page.wait_value("opt-QuotaPerUnit", "500000")
    page.fill("opt-RetryTimes", "3")
    page.click("opt-AutomaticDisableChannelEnabled")
    page.click("save-operation")
    page.wait_body_text("2 settings saved")
    assert dict(server.query("SELECT key, value FROM options WHERE key IN ('RetryTimes', "
                            "'AutomaticDisableChannelEnabled')")) == {
        "RetryTimes": "3", "AutomaticDisableChannelEnabled": "true"}
    _shot(page, "admin-settings")

    _tab(page, "ratios")
    page.fill("opt-GroupRatio", '{"default": 1, "vip": -2}')
    page.click("save-ratios")
    page.wait_text("opt-GroupRatio-error", "GroupRatio: values must be non-negative numbers (check vip)")
    page.fill("opt-ModelRatio", '{"gpt-4o": 1.25')
    page.fill("opt-GroupRatio", '{"default": 1, "vip": 2}')
    page.click("save-ratios")
    page.wait_text("opt-ModelRatio-error", "ModelRatio must be valid JSON")
    assert server.query("SELECT COUNT(*) FROM options WHERE key = 'ModelRatio'") == [(0,)]
    assert json.loads(server.query("SELECT value FROM options WHERE key = 'GroupRatio'")[0][0]) == {
        "default": 1, "vip": 2}
    _shot(page, "admin-settings-ratios")

    _tab(page, "system")
    page.fill("opt-SystemName", "Gateway Test")
    page.click("save-system")
    page.wait_body_text("1 settings saved")
    _tab(page, "smtp")
    _wait_exact(page, "secret-SMTPToken-state", "not set")
    page.fill("secret-SMTPToken", "smtp-secret-value-42")
    page.click("save-smtp")
    _wait_exact(page, "secret-SMTPToken-state", "set")
    assert page.el("secret-SMTPToken").get_attribute("value") == ""
    assert server.query("SELECT value FROM options WHERE key = 'SMTPToken'") == [("smtp-secret-value-42",)]
    page.open("/admin/settings")
    _tab(page, "system")
    page.wait_value("opt-SystemName", "Gateway Test")
    _tab(page, "smtp")
    _wait_exact(page, "secret-SMTPToken-state", "set")
    assert "smtp-secret-value-42" not in page.d.page_source
    _tab(page, "ratelimit")
    page.wait_body_text("Limits per group")
    assert not page.d.find_elements(By.ID, "opt-ModelRequestRateLimitGroup-error")  # untouched: no error shown
    page.d.set_window_size(390, 844)
    _dark(page)
    _shot(page, "admin-settings-dark-phone")


@pytest.mark.parametrize("dark", [False, True], ids=["light", "dark"])
def test_admin_pages_at_phone_width(server: ConsoleServer, dark: bool) -> None:
    """Every admin page opens at phone width (menu drawer, scrolling tables) in both themes."""
    page = Page(chromium(width=390, height=844), server.url)
    try:
        _login(page, ROOT_NAME, ROOT_PASSWORD)
        assert not page.d.find_element(By.ID, "nav-channel").is_displayed()  # the sidebar gives way to the drawer
        if dark:
            _dark(page)
        theme = "dark" if dark else "light"
        for route, marker in (("/channel", "ch-add"), ("/user", "u-add"), ("/redemption", "r-add"),
                              ("/admin/settings", "save-operation"), ("/admin/plans", "plan-add")):
            page.open(route)
            page.wait_path(route)
            page.el(marker)
            _shot(page, f"admin{route.replace('/', '-')}-{theme}-phone")
    finally:
        page.d.quit()
